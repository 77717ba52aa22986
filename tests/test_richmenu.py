"""`python -m bot richmenu` against the stand-in LINE API (the API host and the content host),
which checks the menu and its image as LINE does; and every area of the menu answered."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import urllib.error
import urllib.request
import zlib
from typing import Any

import pytest
import yaml

from bot.richmenu import load_spec
from bot.sim.standin import LineStandIn
from tests.helpers import REPO, TOKEN, AppServer, payload, postback_event

CONTENT = REPO / "content"


def richmenu_cli(line: LineStandIn, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "LINE_API_BASE_URL": line.base_url,
               "LINE_API_DATA_BASE_URL": line.data_base_url, **env}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "bot", "richmenu"], cwd=REPO, env=environ,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def call(url: str, method: str = "GET", body: bytes | None = None,
         content_type: str = "application/json") -> tuple[int, bytes]:  # fmt: skip
    request = urllib.request.Request(url, data=body, method=method, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": content_type})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def png(width: int, height: int, extra: int = 0) -> bytes:
    """A valid PNG of that size (one grey line repeated), padded with `extra` bytes of text."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = zlib.compress((b"\x00" + b"\x80" * width) * height)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pad = chunk(b"tEXt", b"c\x00" + os.urandom(extra)) if extra else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + pad
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def menu(**change: Any) -> dict[str, Any]:
    body = load_spec(CONTENT).request()
    body.update(change)
    return body


def create(line: LineStandIn, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    import json

    status, raw = call(line.base_url + "/v2/bot/richmenu", "POST", json.dumps(body).encode())
    return status, json.loads(raw)


def test_richmenu_run_twice_leaves_one_default_menu_with_its_image(line: LineStandIn) -> None:
    first = richmenu_cli(line)
    assert first.returncode == 0, first.stderr
    second = richmenu_cli(line)
    assert second.returncode == 0, second.stderr
    menus = line.rich_menus()
    assert list(menus) == [second.stdout.strip()] != [first.stdout.strip()]
    assert line.default_rich_menu() == second.stdout.strip()
    kind, image = line.rich_menu_image(second.stdout.strip()) or ("", b"")
    assert kind == "image/png" and image == (CONTENT / "richmenu.png").read_bytes()
    labels = [a["label"] for a in yaml.safe_load((CONTENT / "richmenu.yaml").read_text())["areas"]]
    assert len(labels) >= 4 and "預けた下書き" in labels
    assert len(menus[second.stdout.strip()]["areas"]) == len(labels)


def test_richmenu_without_a_token_or_refused_says_why(line: LineStandIn) -> None:
    missing = richmenu_cli(line, LINE_CHANNEL_ACCESS_TOKEN="")
    assert missing.returncode != 0 and "LINE_CHANNEL_ACCESS_TOKEN" in missing.stderr
    line.fail_next("/v2/bot/richmenu", 500)
    refused = richmenu_cli(line)
    assert refused.returncode != 0 and "LINE refused the rich menu (500)" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_committed_image_is_one_line_accepts() -> None:
    spec = load_spec(CONTENT)
    data = spec.image.read_bytes()
    assert len(data) <= 1024 * 1024
    assert data.startswith(b"\x89PNG") and struct.unpack(">II", data[16:24]) == (
        spec.width,
        spec.height,
    )
    assert (spec.width, spec.height) in ((2500, 1686), (2500, 843))


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"chatBarText": "メニューを開いて使ってみてね!"}, "chatBarText"),  # 15 characters
        ({"size": {"width": 2500, "height": 2000}}, "size"),
        ({"areas": []}, "areas"),
        ({"selected": "no"}, "selected"),
    ],
)
def test_the_standin_refuses_a_menu_line_refuses(line: LineStandIn, change, prop) -> None:
    status, body = create(line, menu(**change))
    assert status == 400 and prop in [d["property"] for d in body["details"]]


def test_the_standin_refuses_areas_out_of_bounds_and_unknown_actions(line: LineStandIn) -> None:
    areas = menu()["areas"]
    outside = [{**areas[0], "bounds": {"x": 2000, "y": 0, "width": 600, "height": 843}}]
    status, body = create(line, menu(areas=outside))
    assert status == 400 and body["details"][0]["property"] == "areas[0].bounds"
    odd = [{**areas[0], "action": {"type": "openApp", "data": "x"}}]
    status, body = create(line, menu(areas=odd))
    assert status == 400 and body["details"][0]["property"] == "areas[0].action.type"
    long_data = [{**areas[0], "action": {"type": "postback", "data": "d" * 301}}]
    assert create(line, menu(areas=long_data))[0] == 400


def test_the_standin_checks_the_image_on_the_content_host_only(line: LineStandIn) -> None:
    _, body = create(line, menu(size={"width": 2500, "height": 843},
                                     areas=[{**menu()["areas"][0], "bounds": {"x": 0, "y": 0, "width": 2500, "height": 843}}]))  # fmt: skip
    menu_id = body["richMenuId"]
    content = f"/v2/bot/richmenu/{menu_id}/content"
    good = png(2500, 843)
    assert call(line.base_url + content, "POST", good, "image/png")[0] == 404  # not api.line.me
    assert (
        call(line.base_url + f"/v2/bot/user/all/richmenu/{menu_id}", "POST")[0] == 400
    )  # no image yet
    assert call(line.data_base_url + content, "POST", good, "image/gif")[0] == 415
    assert call(line.data_base_url + content, "POST", png(2500, 1686), "image/png")[0] == 400
    assert call(line.data_base_url + content, "POST", good, "image/jpeg")[0] == 400  # not a JPEG
    assert (
        call(line.data_base_url + content, "POST", png(2500, 843, 1024 * 1024), "image/png")[0]
        == 413
    )
    assert call(line.data_base_url + content, "POST", good, "image/png")[0] == 200
    assert call(line.data_base_url + content, "POST", good, "image/png")[0] == 400  # once only
    assert call(line.base_url + f"/v2/bot/user/all/richmenu/{menu_id}", "POST")[0] == 200
    assert call(line.base_url + "/v2/bot/user/all/richmenu")[0] == 200


def test_every_area_of_the_menu_gets_an_answer(server: AppServer, line: LineStandIn) -> None:
    """A tap on each area (its postback, as LINE sends it) is answered, never with the
    reply for what the bot did not understand."""
    fallback = yaml.safe_load((CONTENT / "phrases.yaml").read_text())["phrases"]["fallback"]
    areas = load_spec(CONTENT).areas
    for n, area in enumerate(areas):
        action = area["action"]
        assert action["type"] == "postback"
        server.post(payload(postback_event(f"Umenu{n}", action["data"])))
        assert line.wait_for(lambda s, n=n: len(s.replies()) == n + 1)
        said = "\n".join(line.replies()[-1].texts())
        assert said and not any(f in said for f in fallback), (area["label"], said)
