"""The draft nudge on drafts it never saw, and the `nudge` command line contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.evaluate import nudge_scores, read_drafts
from bot.nudge.review import Context, morning_after
from bot.wiring import build_nudge
from tests.helpers import REPO

JST = ZoneInfo("Asia/Tokyo")
DRAFT_SETS = sorted((Path(__file__).parent / "data").glob("drafts_*.tsv"))


@pytest.fixture(scope="module")
def nudge(content):
    return build_nudge(Settings(_env_file=None), content)


@pytest.mark.parametrize("path", DRAFT_SETS, ids=lambda p: p.name)
def test_should_wait_f1_on_unseen_drafts_and_never_without_reasons(nudge, path: Path) -> None:
    scores = nudge_scores(nudge, read_drafts(path))
    assert scores["f1"] >= 0.95, scores
    assert scores["no_reason"] == 0


def test_reasons_quote_the_draft(nudge) -> None:
    v = nudge.review("なんで既読無視するの？返事して", datetime(2026, 11, 21, 14, 0, tzinfo=JST))
    assert v.wait
    assert any("なんで既読無視するの" in r for r in v.reasons)
    assert any("返事して" in r for r in v.reasons)


def test_light_daytime_messages_pass_with_one_tip_at_most(nudge) -> None:
    noon = datetime(2026, 11, 21, 12, 0, tzinfo=JST)
    for text in ("元気にしてる？", "誕生日おめでとう！", "借りてた本、ポストに返しておくね"):
        v = nudge.review(text, noon)
        assert (v.wait, v.reasons, v.remind_at) == (False, (), None)
        assert v.tip and "\n" not in v.tip


def test_late_night_waits_even_when_light(nudge) -> None:
    v = nudge.review("元気にしてる？", datetime(2026, 11, 21, 1, 40, tzinfo=JST))
    assert v.wait and "01:40" in v.reasons[0]
    assert v.remind_at == datetime(2026, 11, 21, 8, 0, tzinfo=JST)


def test_cooling_period_and_repeats_and_block(nudge) -> None:
    noon = datetime(2026, 11, 21, 12, 0, tzinfo=JST)
    v = nudge.review("元気にしてる？", noon, Context(cooling_days_left=12))
    assert v.wait and any("12日" in r for r in v.reasons)
    earlier = (datetime(2026, 11, 21, 9, 0, tzinfo=JST), datetime(2026, 11, 21, 11, 0, tzinfo=JST))
    v = nudge.review("元気にしてる？", noon, Context(recent_drafts=earlier))
    assert v.wait and any("3回目" in r for r in v.reasons)
    v = nudge.review("元気にしてる？", noon, Context(no_contact=True))
    assert v.block and v.wait


@pytest.mark.parametrize(
    ("local", "expected"),
    [("2026-11-21T01:40", "2026-11-21T08:00"), ("2026-11-21T02:30", "2026-11-21T08:00"),
     ("2026-11-21T04:30", "2026-11-22T08:00"), ("2026-11-21T23:00", "2026-11-22T08:00"),
     ("2026-11-21T12:00", "2026-11-22T08:00")],
)  # fmt: skip
def test_morning_is_the_next_8_at_least_4_hours_away(local: str, expected: str) -> None:
    """「明日の朝」 at 2:30 is this morning (a night's sleep is still ahead); at 4:30, the next."""
    at = datetime.fromisoformat(local).replace(tzinfo=JST)
    assert morning_after(at) == datetime.fromisoformat(expected).replace(tzinfo=JST)


def test_nudge_command_line_contract() -> None:
    lines = [
        {"text": "お願い、最後に一回だけ会って", "sent_at": "2026-11-21T01:40:00+09:00"},
        {"text": "元気にしてる？", "sent_at": "2026-11-21T14:00:00+09:00"},
        {"text": "好きです", "sent_at": "2026-11-21T14:00:00"},  # no offset: BOT_TIMEZONE
    ]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json\n"
    r = subprocess.run([sys.executable, "-m", "bot", "nudge"], input=stdin, text=True,
                       capture_output=True, cwd=REPO, env=os.environ.copy(), timeout=60)  # fmt: skip
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert set(out[0]) == {"wait", "reasons", "remind_at"}
    assert (
        out[0]["wait"] and out[0]["reasons"] and out[0]["remind_at"] == "2026-11-21T08:00:00+09:00"
    )
    assert out[1] == {"wait": False, "reasons": [], "remind_at": None}
    assert out[2]["wait"] and out[2]["remind_at"].endswith("+09:00")
    assert "error" in out[3] and r.returncode == 1
