"""Hostile input at /callback (hypothesis): random bytes, mutated events, huge and odd Unicode.
Never a 5xx, and a draft already held is never lost."""

from __future__ import annotations

import copy
import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.line.events import clean_text
from bot.sim.standin import LineStandIn
from bot.store.models import Draft, Reminder
from tests.helpers import AppServer, payload, postback_event, sign, text_event

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
ODD_TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()),  # includes surrogates, NUL, RTL...
    min_size=0, max_size=300,
) | st.sampled_from(["", "\x00", "\ud800", "👨‍👩‍👧‍👦" * 1300, "ｼﾆﾀｲ" * 1000, "\u202e逆向き", "a" * 5000])  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ODD_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def held_draft(server: AppServer, line: LineStandIn) -> None:
    server.post(payload(text_event("Ukeeper", "下書き：なんで返事くれないの？待ってる")))
    server.post(payload(postback_event("Ukeeper", "hold:morning")))
    server.settle()


def drafts(server: AppServer) -> list[tuple[str, str]]:
    core = server.app.state.hitoban.core
    with core.db.session() as s:
        return [(d.text, d.status) for d in s.execute(select(Draft)).scalars()] + [
            (str(r.draft_id), r.status) for r in s.execute(select(Reminder)).scalars()
        ]


def post_raw(server: AppServer, body: bytes) -> int:
    r = httpx.post(server.url + "/callback", content=body,
                   headers={"x-line-signature": sign(body), "content-type": "application/json"},
                   timeout=10)  # fmt: skip
    return r.status_code


def test_signed_random_bytes_never_5xx(server: AppServer, line: LineStandIn) -> None:
    held_draft(server, line)
    before = drafts(server)

    @FUZZ
    @given(st.binary(max_size=2048))
    def run(body: bytes) -> None:
        assert post_raw(server, body) in (200, 400, 413)

    run()
    server.settle()
    assert drafts(server) == before


def test_mutated_events_never_5xx_and_lose_nothing(server: AppServer, line: LineStandIn) -> None:
    held_draft(server, line)
    before = drafts(server)
    base = text_event("Ufuzz", "こんにちは")

    @FUZZ
    @given(st.lists(st.tuples(st.sampled_from([*sorted(base), "message", "source", "postback"]),
                              JSON | st.just("<delete>")), max_size=4),
           ODD_TEXT)  # fmt: skip
    def run(mutations: list, text: str) -> None:
        event = copy.deepcopy(base)
        event["message"]["text"] = text
        for key, value in mutations:
            if value == "<delete>":
                event.pop(key, None)
            else:
                event[key] = value
        body = json.dumps({"destination": "Ubot", "events": [event]}).encode()
        assert post_raw(server, body) in (200, 400, 413)

    run()
    server.settle()
    assert drafts(server) == before
    assert all(r.status < 500 for r in line.requests), "no malformed request reached LINE"


def test_odd_unicode_text_is_answered(server: AppServer, line: LineStandIn) -> None:
    @FUZZ
    @given(ODD_TEXT.filter(lambda t: clean_text(t).strip() != ""))
    def run(text: str) -> None:
        body = json.dumps({"events": [text_event("Uodd", text)]}).encode()
        assert post_raw(server, body) == 200

    run()
    server.settle(timeout=60)
    assert line.replies(), "odd text still gets kind replies"
    assert all(r.status == 200 for r in line.requests if r.path.endswith("/reply"))


def test_redelivered_draft_hold_is_not_doubled(server: AppServer, line: LineStandIn) -> None:
    hold = postback_event("Utwice", "hold:morning")
    server.post(payload(text_event("Utwice", "下書き：好きです")))
    server.post(payload(hold))
    server.post(payload({**hold, "deliveryContext": {"isRedelivery": True}}))
    server.settle()
    assert len([d for d in drafts(server) if d[0] == "好きです"]) == 1
