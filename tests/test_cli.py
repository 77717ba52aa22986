"""The command line as an operator uses it: subprocesses, real stdin/stdout."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import httpx

from bot.sim.standin import LineStandIn
from tests.helpers import REPO, SECRET, TOKEN, ServeProcess, payload, text_event


def run(args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 60):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LINE_")}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, cwd=REPO, env={**clean, **env}, timeout=timeout)  # fmt: skip


def test_serve_without_credentials_is_one_clear_line(tmp_path) -> None:
    r = run(["serve"], {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"})
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "LINE_CHANNEL_SECRET" in r.stderr and "Traceback" not in r.stderr


def test_bad_database_url_is_one_clear_line(tmp_path) -> None:
    r = run(["chat"], {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nowhere"})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "database" in r.stderr


def test_chat_reads_stdin_and_answers(tmp_path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/chat.db"}
    r = run(["chat"], env, stdin="使い方\n")
    assert r.returncode == 0, r.stderr
    assert "友だち追加ありがとう" in r.stdout  # a first visit starts with the welcome
    assert "一晩にできること" in r.stdout
    number = re.findall(r"\[(\d+)\] 使い方", r.stdout)[-1]
    r = run(["chat"], env, stdin=f"使い方\n{number}\n")  # a quick reply, by its number
    assert "友だち追加ありがとう" not in r.stdout  # the same user, remembered
    assert r.stdout.count("一晩にできること") == 2  # said again, in other words


def test_classify_prints_json_lines(tmp_path) -> None:
    env = {"MODEL_CACHE_DIR": str(tmp_path / "models")}
    r = run(["classify"], env, stdin="こんにちは\n\n使い方を教えて\n")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["text"] for d in lines] == ["こんにちは", "使い方を教えて"]
    assert all({"text", "intent", "confidence"} <= d.keys() for d in lines)
    assert lines[1]["intent"] == "help"
    # The model it trained is cached like serve's, so the next call starts from the arrays
    # (and answers the same).
    assert [p.name.split("-")[0] for p in (tmp_path / "models").iterdir()] == ["intent"]
    again = run(["classify"], env, stdin="こんにちは\n\n使い方を教えて\n")
    assert again.stdout == r.stdout


def test_serve_process_answers_a_signed_message(tmp_path) -> None:
    with LineStandIn(access_token=TOKEN) as line:
        proc = ServeProcess({
            "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE_URL": line.base_url, "DATABASE_URL": f"sqlite:///{tmp_path}/s.db",
        }).start()  # fmt: skip
        try:
            body = payload(text_event("Uproc", "使い方"))
            from tests.helpers import sign

            r = httpx.post(proc.url + "/callback", content=body,
                           headers={"x-line-signature": sign(body)})  # fmt: skip
            assert r.status_code == 200
            assert line.wait_for(lambda s: len(s.replies()) == 1, timeout=10)
            assert httpx.get(proc.url + "/healthz").status_code == 200
        finally:
            logs = proc.stop()
        assert "使い方" not in logs and "Uproc" not in logs


def test_check_content_warns_when_two_cards_answer_the_same_question(tmp_path) -> None:
    import shutil

    import yaml

    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    data = yaml.safe_load((content / "advice.yaml").read_text(encoding="utf-8"))
    first, second = data["cards"][0], data["cards"][1]
    second["asks"] = [*second.get("asks", []), first["asks"][0] + "？"]
    (content / "advice.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run(["check-content"], {"CONTENT_DIR": str(content)})
    assert r.returncode == 0, r.stderr
    assert f"warning: advice.yaml: {second['id']}" in r.stdout and first["id"] in r.stdout


def test_check_content_refuses_an_answer_with_too_few_questions(tmp_path) -> None:
    """The answer model learns each answer from its own questions (three-fold calibration): an
    answer with two would crash the bot at start, so the check names it instead."""
    import shutil

    import yaml

    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    data = yaml.safe_load((content / "advice.yaml").read_text(encoding="utf-8"))
    card = next(c for c in data["cards"] if c.get("answers"))
    card["answers"][0]["asks"] = card["answers"][0]["asks"][:2]
    (content / "advice.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run(["check-content"], {"CONTENT_DIR": str(content)})
    assert r.returncode != 0
    assert card["id"] in r.stderr + r.stdout and "Traceback" not in r.stderr
