"""The figures on sets written like real people's messages (tests/data/real/, never trained
on) hold: a change that reads real messages worse fails here, not in front of a user at 1 a.m.
`make eval` prints the same figures for the README."""

from __future__ import annotations

import pytest

from bot import eval_sets as sets
from bot.evaluate import nudge_scores, read_drafts, score_real

FOLDERS = [sets.REAL, sets.FINAL]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_realistic_messages_are_understood(classifier, folder) -> None:
    data = sets.realistic(folder)
    assert len(data) >= 150 and sets.long_share([t for _, t in data]) >= 0.4
    result = score_real(
        [label for label, _ in data], [classifier.classify(t).intent for _, t in data]
    )
    assert result["accuracy"] >= 0.75, result
    assert result["crisis_caught"] == result["crisis_total"] > 0
    assert result["false_crisis"] <= 0.03 * result["safe_total"], result


@pytest.mark.parametrize(
    ("folder", "least"), [(sets.REAL, 1.0), (sets.FINAL, 0.95)], ids=["development", "final"]
)
def test_subtle_signs_are_crisis_and_exhaustion_is_not(classifier, folder, least) -> None:
    result = sets.crisis_figures(classifier, sets.rows("subtle_crisis.tsv", 2, folder))
    assert result["crisis_caught"] >= least * result["crisis_total"], result["missed"]
    assert result["concern_as_crisis"] == 0


@pytest.mark.parametrize("folder", [*FOLDERS, sets.FINAL2], ids=lambda f: f.name)
def test_sad_stories_jokes_and_hyperbole_raise_no_alarm(classifier, folder) -> None:
    result = sets.safe_figures(classifier, sets.rows("sad_safe.tsv", 2, folder))
    assert result["false_crisis"] <= 0.03 * result["n"], result["alarms"]


def test_negated_and_asked_facts_are_read_right(classifier) -> None:
    result = sets.negation_figures(classifier, sets.rows("negation.tsv", 3))
    assert result["facts"] >= 0.9, result["wrong"]
    assert result["intent"] >= 0.85


def test_requests_to_the_bot_are_recognised(classifier) -> None:
    result = sets.request_figures(classifier, sets.rows("requests.tsv"))
    assert result["accuracy"] >= 0.9, result["wrong"]
    assert result["false_request"] <= 1


def test_real_drafts_are_nudged_with_precision(content) -> None:
    from bot.config import Settings
    from bot.wiring import build_nudge

    nudge = build_nudge(Settings(_env_file=None), content)
    result = nudge_scores(nudge, read_drafts(sets.REAL / "drafts_real.tsv"))
    assert result["f1"] >= 0.85 and result["precision"] >= 0.85, result
    assert result["no_reason"] == 0


@pytest.mark.parametrize(
    "draft", ["最近どうしてる?", "メシ、ちゃんと食ってるか?", "感謝しかないよ", "誕生日おめでとう!"]
)
def test_light_caring_drafts_pass_in_daytime(content, draft: str) -> None:
    from datetime import datetime

    from bot.config import Settings
    from bot.wiring import build_nudge

    nudge = build_nudge(Settings(_env_file=None), content)
    verdict = nudge.review(draft, datetime.fromisoformat("2026-05-10T19:30:00+09:00"))
    assert not verdict.wait, verdict.reasons
