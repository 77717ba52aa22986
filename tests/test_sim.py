"""The simulator and /insights over HTTP: the contract around them (what `serve` does not
have, what `sim` refuses, bad input → 4xx) and content reloading. The page itself is tested
in a real browser (test_sim_browser.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.sim.standin import LineStandIn
from bot.web.app import create_app
from tests.conftest import make_settings
from tests.helpers import REPO, AppServer, free_port


def test_sim_refuses_real_line_credentials(tmp_path: Path) -> None:
    env = {**os.environ, "LINE_CHANNEL_SECRET": "real", "LINE_CHANNEL_ACCESS_TOKEN": "real",
           "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"}  # fmt: skip
    r = subprocess.run([sys.executable, "-m", "bot", "sim", "--port", "0"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "sim talks to a stand-in LINE" in r.stderr


def test_run_without_credentials_starts_the_simulator(tmp_path: Path) -> None:
    """`make run` on a fresh clone: the printed URL serves the chat page."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINE_")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite"
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        line = ""
        for line in proc.stdout:  # (blocks until the bot is ready; the test has a timeout)
            if "http://" in line:
                break
        url = line[line.index("http://") :].split()[0]
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and "シミュレーター" in page.text
    finally:
        proc.terminate()
        proc.wait(15)


def test_serve_has_none_of_the_simulator(server: AppServer) -> None:
    for path in ("/", "/sim/api/feed", "/sim/static/sim.js", "/insights", "/insights.json"):
        assert httpx.get(server.url + path).status_code == 404, path


def test_insights_in_serve_needs_the_admin_token(line: LineStandIn, tmp_path: Path) -> None:
    settings = make_settings(line, f"sqlite:///{tmp_path}/db.sqlite", bot_admin_token="s3cret")
    server = AppServer(create_app(settings, dispatcher=False)).start()
    try:
        assert httpx.get(server.url + "/insights").status_code == 401
        wrong = {"authorization": "Bearer nope"}
        assert httpx.get(server.url + "/insights", headers=wrong).status_code == 401
        ok = {"authorization": "Bearer s3cret"}
        page = httpx.get(server.url + "/insights", headers=ok)
        assert page.status_code == 200 and "預かった下書き" in page.text
        figures = httpx.get(server.url + "/insights.json", headers=ok).json()
        assert figures["users"] == 0 and figures["push_quota"] == 200
        assert figures["pushes_used"] == 0
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sim/api/send", b"not json"),
        ("/sim/api/send", b"[]"),
        ("/sim/api/send", b'{"user": "nobody", "type": "text", "text": "x"}'),
        ("/sim/api/send", b'{"user": "U1", "type": "sticker"}'),
        ("/sim/api/send", b'{"user": "U1", "type": "text", "text": ""}'),
        ("/sim/api/send", b'{"user": "U1", "type": "postback", "params": []}'),
        ("/sim/api/send", b'{"user": "U1", "type": "unsend"}'),
        ("/sim/api/clock", b'{"to": "yesterday"}'),
        ("/sim/api/clock", b'{"to": "2000-01-01T08:00"}'),
        ("/sim/api/clock", b'{"to": "9999-12-31T23:59"}'),
        ("/sim/api/clock", b'{"to": 5}'),
        ("/sim/api/clock", b"{}"),
        ("/sim/api/fail", b'{"path": "callback"}'),
        ("/sim/api/fail", b'{"path": "reply", "status": 200}'),
    ],
)
def test_bad_input_to_the_simulator_is_a_clear_400(sim: AppServer, path: str, body: bytes) -> None:
    r = httpx.post(sim.url + path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]


def test_a_content_change_shows_without_restart_and_a_broken_one_lists_its_problems(
    sim: AppServer,
) -> None:
    content = sim.app.state.hitoban.settings.content_dir
    phrases = content / "phrases.yaml"
    original = phrases.read_text(encoding="utf-8")
    try:
        phrases.write_text(original + "\n  - [broken\n", encoding="utf-8")
        broken = httpx.post(sim.url + "/sim/api/content/reload", timeout=120).json()
        assert not broken["ok"] and broken["problems"]
        assert "phrases.yaml" in " ".join(broken["problems"])
        reply = httpx.post(sim.url + "/sim/api/send", timeout=10,
                           json={"user": "U" + "1" * 32, "type": "text", "text": "使い方"})  # fmt: skip
        assert reply.json()["status"] == 200, "the last good content still answers"
    finally:
        phrases.write_text(original, encoding="utf-8")
    fixed = httpx.post(sim.url + "/sim/api/content/reload", timeout=120).json()
    assert fixed["ok"] and fixed["summary"].startswith("content OK")
    assert httpx.get(sim.url + "/sim/api/content").json()["ok"]

    edited = original.replace("一晩(ひとばん)です。", "編集したての挨拶です。", 1)
    assert edited != original
    try:
        phrases.write_text(edited, encoding="utf-8")
        assert httpx.post(sim.url + "/sim/api/content/reload", timeout=120).json()["ok"]
        assert "編集したての挨拶です。" in welcome(sim, "U" + "2" * 32)
    finally:
        phrases.write_text(original, encoding="utf-8")
        httpx.post(sim.url + "/sim/api/content/reload", timeout=120)


def welcome(sim: AppServer, user: str) -> str:
    """Add the bot as `user`; the text of the bot's answer, as the page reads it."""
    answer = httpx.post(sim.url + "/sim/api/send", json={"user": user, "type": "follow"})
    assert answer.json()["status"] == 200
    standin = sim.app.state.sim.standin
    assert standin.wait_for(lambda s: any(sim.app.state.sim.tokens.get(r.json["replyToken"]) == user
                                          for r in s.replies()), timeout=20)  # fmt: skip
    items = httpx.get(sim.url + "/sim/api/feed").json()["items"]
    return "\n".join(m.get("text", "") for i in items if i["user"] == user
                     for m in i["messages"] or [])  # fmt: skip
