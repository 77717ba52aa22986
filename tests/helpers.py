"""Building and signing webhook payloads the way LINE does, and running the real app on a
loopback port (uvicorn in a thread, or `python -m bot serve` in a subprocess)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

REPO = Path(__file__).resolve().parent.parent
SECRET = "test-channel-secret"
TOKEN = "test-token"
_ids = itertools.count(1)


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def now_ms() -> int:
    return int(time.time() * 1000)


def _base(kind: str, user: str, ts: int | None, event_id: str | None, redelivery: bool) -> dict:
    n = next(_ids)
    return {
        "type": kind,
        "mode": "active",
        "timestamp": ts if ts is not None else now_ms(),
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id or f"01TESTEVENT{n:015d}",
        "deliveryContext": {"isRedelivery": redelivery},
    }


def text_event(user: str, text: str, ts: int | None = None, event_id: str | None = None,
               redelivery: bool = False, reply_token: str | None = None) -> dict:  # fmt: skip
    ev = _base("message", user, ts, event_id, redelivery)
    n = next(_ids)
    ev["replyToken"] = reply_token or f"rt-{n}"
    ev["message"] = {"type": "text", "id": str(n), "text": text, "quoteToken": f"q{n}"}
    return ev


def sticker_event(user: str, ts: int | None = None) -> dict:
    ev = _base("message", user, ts, None, False)
    n = next(_ids)
    ev["replyToken"] = f"rt-{n}"
    ev["message"] = {"type": "sticker", "id": str(n), "packageId": "446", "stickerId": "1988",
                     "stickerResourceType": "STATIC", "quoteToken": f"q{n}"}  # fmt: skip
    return ev


def postback_event(user: str, data: str, params: dict | None = None, ts: int | None = None) -> dict:
    ev = _base("postback", user, ts, None, False)
    ev["replyToken"] = f"rt-{next(_ids)}"
    ev["postback"] = {"data": data, **({"params": params} if params else {})}
    return ev


def follow_event(user: str, ts: int | None = None) -> dict:
    ev = _base("follow", user, ts, None, False)
    ev["replyToken"] = f"rt-{next(_ids)}"
    ev["follow"] = {"isUnblocked": False}
    return ev


def unfollow_event(user: str, ts: int | None = None) -> dict:
    return _base("unfollow", user, ts, None, False)


def unsend_event(user: str, message_id: str, ts: int | None = None) -> dict:
    ev = _base("unsend", user, ts, None, False)
    ev["unsend"] = {"messageId": message_id}
    return ev


def payload(*events: dict) -> bytes:
    return json.dumps({"destination": "Ubot", "events": list(events)}, ensure_ascii=False).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """The real FastAPI app served by uvicorn on loopback, in a thread of this process."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                access_log=False, lifespan="on")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> AppServer:
        self.thread.start()
        deadline = time.time() + 15
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("app server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def post(self, body: bytes, signature: str | None = "sign", **headers: str) -> httpx.Response:
        h = {"content-type": "application/json", **headers}
        if signature == "sign":
            h["x-line-signature"] = sign(body)
        elif signature is not None:
            h["x-line-signature"] = signature
        return httpx.post(self.url + "/callback", content=body, headers=h, timeout=10)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every accepted event has been handled (and its reply sent)."""
        from sqlalchemy import func, select

        from bot.store.models import InboxEvent

        runtime = self.app.state.hitoban
        deadline = time.time() + timeout
        while True:
            with runtime.core.db.session() as session:
                pending = session.execute(select(func.count()).select_from(InboxEvent)).scalar_one()
            if not pending and not runtime.drains.busy:
                return
            if time.time() > deadline:
                raise TimeoutError("events still pending")
            time.sleep(0.01)


class ServeProcess:
    """`python -m bot serve` in a subprocess, as an operator runs it."""

    def __init__(self, env: dict[str, str], *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.args = [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1",
                     "--port", str(self.port), *extra]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> ServeProcess:  # a cold model cache on a busy CI box
        self.proc = subprocess.Popen(self.args, cwd=REPO, env=self.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.proc.stderr.read().decode() if self.proc.stderr else "")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError("serve did not become healthy")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> str:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.stderr.read().decode() if self.proc and self.proc.stderr else ""


async def gather_posts(url: str, bodies: list[bytes]) -> list[int]:
    async with httpx.AsyncClient(timeout=10) as client:

        async def post(b: bytes) -> int:
            headers = {"content-type": "application/json", "x-line-signature": sign(b)}
            return (await client.post(url + "/callback", content=b, headers=headers)).status_code

        return list(await asyncio.gather(*(post(b) for b in bodies)))


def metric(url: str, name: str, **labels: str) -> float:
    """The value of one sample from GET /metrics (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    response = httpx.get(url + "/metrics", timeout=5)
    if response.status_code == 503:  # a worker's file was being written: not yet (asked again)
        return float("nan")
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def postgres_problem(url: str) -> str | None:
    """Why the PostgreSQL server at `url` cannot be used, or None when it can."""
    from sqlalchemy import create_engine, text

    from bot.store.db import make_url

    try:
        engine = create_engine(make_url(url), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (a `serve --workers` parent's workers)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def seed_held_drafts(
    database_url: str, due: datetime, texts: list[str], prefix: str = "Uburst"
) -> None:
    """One new user per text, each with that draft held and its reminder due at `due`: the
    morning burst, written in a few statements (the rows `repo.hold_draft` writes)."""
    from sqlalchemy import insert, select

    from bot.store.db import Database
    from bot.store.models import Draft, Reminder, User

    db = Database(database_url)
    db.migrate()
    made = due - timedelta(hours=7)
    names = [f"{prefix}{i:06d}" for i in range(len(texts))]
    with db.session() as session:
        conn = session.connection()
        conn.execute(insert(User.__table__), [
            {"line_user_id": name, "created_at": made, "last_event_at": made} for name in names
        ])  # fmt: skip
        users = {name: uid for name, uid in conn.execute(
            select(User.line_user_id, User.id).where(User.line_user_id.in_(names)))}  # fmt: skip
        conn.execute(insert(Draft.__table__), [
            {"user_id": users[name], "text": text, "reasons": '["late"]', "status": "held",
             "created_at": made} for name, text in zip(names, texts, strict=True)
        ])  # fmt: skip
        drafts = list(conn.execute(
            select(Draft.user_id, Draft.id).where(Draft.user_id.in_(list(users.values())))))  # fmt: skip
        conn.execute(insert(Reminder.__table__), [
            {"user_id": user_id, "draft_id": draft_id, "kind": "draft", "due_at": due,
             "next_attempt_at": due, "status": "pending", "attempts": 0,
             "retry_key": str(uuid.uuid4()), "created_at": made} for user_id, draft_id in drafts
        ])  # fmt: skip
    db.dispose()
