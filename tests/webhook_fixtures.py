"""The webhook bodies LINE's own SDKs test with (`<work>/shared/line-webhook-fixtures/`, see its
SOURCES.md), made replayable: read at test time, never copied into this repository.

Each body is given what a real delivery would have: fresh `webhookEventId`s (the sources reuse
a handful), LINE-shaped user ids, current timestamps and reply tokens of its own, so a replay
is not taken for a redelivery and one body's user is not another's."""

from __future__ import annotations

import copy
import json
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def _fixtures_dir() -> Path:
    """`LINE_WEBHOOK_FIXTURES` if set; else `shared/` beside this checkout (<work>/main and
    <work>/shared); else the workplace's own copy, for a checkout cloned somewhere else."""
    if env := os.environ.get("LINE_WEBHOOK_FIXTURES"):
        return Path(env)
    beside = Path(__file__).resolve().parents[2] / "shared" / "line-webhook-fixtures"
    workplace = Path("/work/shared/line-webhook-fixtures")
    return beside if beside.is_dir() or not workplace.is_dir() else workplace


FIXTURES = _fixtures_dir()
ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32, as in a ULID


def fixture_files() -> list[Path]:
    """The fixture bodies; in CI a missing folder fails the run, locally it skips."""
    files = sorted(FIXTURES.glob("*.json"))
    if not files:
        message = f"LINE webhook fixtures not found in {FIXTURES}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return files


def line_user_id() -> str:
    return "U" + uuid.uuid4().hex


def webhook_event_id() -> str:
    return "01" + "".join(secrets.choice(ULID_ALPHABET) for _ in range(24))


@dataclass(frozen=True)
class Sent:
    """One event of a replayed body, and what a 1:1 bot owes it."""

    kind: str
    user: str | None  # the fresh user id (None outside 1:1 chats)
    reply_token: str | None
    mode: str | None
    one_to_one: bool

    @property
    def owed_an_answer(self) -> bool:
        """A message from a user, in active mode, with a token to reply with."""
        return (self.kind == "message" and self.one_to_one and self.mode != "standby"
                and self.reply_token is not None)  # fmt: skip


def freshen(body: Any, reply_token: Callable[[], str]) -> tuple[bytes, list[Sent]]:
    """The body as it would arrive now. Only values are replaced, keys stay as they are: an
    event without a `webhookEventId` (an older shape) is still without one."""
    body = copy.deepcopy(body)
    users: dict[str, str] = {}
    sent = []
    now = int(time.time() * 1000)
    for n, event in enumerate(body.get("events") or []):
        if not isinstance(event, dict):
            continue
        if "webhookEventId" in event:
            event["webhookEventId"] = webhook_event_id()
        if "timestamp" in event:
            event["timestamp"] = now + n  # in body order, as LINE numbers them
        if "replyToken" in event:
            event["replyToken"] = reply_token()
        source = event.get("source")
        user = None
        if isinstance(source, dict) and isinstance(source.get("userId"), str):
            user = source["userId"] = users.setdefault(source["userId"], line_user_id())
        one_to_one = isinstance(source, dict) and source.get("type") == "user"
        sent.append(Sent(str(event.get("type")), user if one_to_one else None,
                         event.get("replyToken"), event.get("mode"), one_to_one))  # fmt: skip
    return json.dumps(body, ensure_ascii=False).encode(), sent
