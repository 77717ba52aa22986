"""Review a draft: signals from the articles' NG actions, each with a reason that quotes what
triggered it, and a suggested time to read it again (the next morning).

Pure: the caller passes the draft, its local time and what the conversation knows (recent
drafts, cooling period, a block), so the CLI, the engine and the tests share one function."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.nlu.normalize import fold_kana, normalize
from bot.nudge.model import RiskModel

PATTERNED = ("no_contact", "dependence", "blame", "pressure", "apology_flood", "self_appeal", "love",
             "new_partner_sarcasm", "invitation", "emotional")  # fmt: skip
ORDER = ("no_contact", "partnered", "dependence", "late_night", "cooling", "repeated", "blame", "pressure", "apology_flood",
         "self_appeal", "new_partner_sarcasm", "invitation", "love", "emotional", "long", "heavy")  # fmt: skip
MAX_REASONS = 3
_CLAUSE = re.compile(r"[^。．.！!？?\n／/]+")


@dataclass(frozen=True)
class Verdict:
    wait: bool
    reasons: tuple[str, ...]
    signals: tuple[str, ...]
    remind_at: datetime | None
    block: bool = False  # do not send at all (a block, 「連絡しないで」)
    tip: str | None = None


@dataclass(frozen=True)
class Context:
    """What the conversation knows beyond the draft itself."""

    no_contact: bool = False
    recent_drafts: tuple[datetime, ...] = ()
    cooling_days_left: int | None = None
    new_partner: bool = False  # they have a new partner: words of longing are not sent
    polite: bool = False  # they write in です・ます: the reasons said so too


@dataclass(frozen=True)
class NudgeRules:
    reasons: dict[str, str]
    reasons_polite: dict[str, str]
    patterns: dict[str, tuple[re.Pattern[str], ...]]
    thresholds: dict[str, float]
    pass_tip: str
    morning_hour: int = 8
    min_gap: timedelta = field(default=timedelta(hours=6))

    @classmethod
    def from_content(cls, data: dict[str, Any], morning_hour: int = 8,
                     min_gap_hours: float = 4) -> NudgeRules:  # fmt: skip
        """Build from content/nudge.yaml; raises ValueError naming what is wrong."""
        signals = data.get("signals") or {}
        missing = [s for s in ORDER if s not in signals or not signals[s].get("reason")]
        if missing:
            raise ValueError(f"signals without a reason: {missing}")
        patterns = {}
        for name in PATTERNED:
            sources = signals[name].get("patterns") or []
            if not sources:
                raise ValueError(f"{name}: needs patterns")
            try:
                patterns[name] = tuple(re.compile(p) for p in sources)
            except re.error as exc:
                raise ValueError(f"{name}: {exc}") from None
        return cls(
            reasons={name: signals[name]["reason"] for name in ORDER},
            reasons_polite={
                name: signals[name].get("reason_polite") or signals[name]["reason"]
                for name in ORDER
            },
            patterns=patterns,
            thresholds={k: float(v) for k, v in (data.get("thresholds") or {}).items()},
            pass_tip=str(data.get("pass_tip") or ""),
            morning_hour=morning_hour,
            min_gap=timedelta(hours=min_gap_hours),
        )


def morning_after(
    local: datetime, hour: int = 8, min_gap: timedelta = timedelta(hours=4)
) -> datetime:
    """The next `hour`:00 at least `min_gap` away, in `local`'s time zone."""
    candidate = datetime.combine(local.date(), time(hour), tzinfo=local.tzinfo)
    while candidate - local < min_gap:
        candidate += timedelta(days=1)
    return candidate


def _quote(text: str, match: re.Match[str], limit: int = 24) -> str:
    """The clause of the draft around the match, as the user wrote it."""
    for clause in _CLAUSE.finditer(text):
        if clause.start() <= match.start() < clause.end():
            phrase = clause.group().strip()
            if len(phrase) <= limit:
                return phrase
            start = max(clause.start(), match.start() - limit // 3)
            return "…" + text[start : start + limit].strip() + "…"
    return match.group()


class Nudge:
    def __init__(self, rules: NudgeRules, tz: ZoneInfo, model: RiskModel | None = None) -> None:
        self.rules = rules
        self.tz = tz
        self.model = model

    def review(self, draft: str, sent_at: datetime, context: Context = Context()) -> Verdict:
        local = sent_at.astimezone(self.tz)
        norm = normalize(draft)
        forms = (norm, fold_kana(norm))
        t = self.rules.thresholds
        found: dict[str, str] = {}
        said = self.rules.reasons_polite if context.polite else self.rules.reasons

        def search(name: str) -> list[re.Match[str]]:
            hits = []
            for pattern in self.rules.patterns[name]:
                for form in forms:
                    hits += list(pattern.finditer(form))
                    if hits:
                        break
            return hits

        if context.no_contact or search("no_contact"):
            found["no_contact"] = said["no_contact"]
        if context.new_partner:
            found["partnered"] = said["partnered"]
        if t.get("late_night_from", 0) <= local.hour < t.get("late_night_to", 6):
            found["late_night"] = said["late_night"].format(time=f"{local:%H:%M}")
        if context.cooling_days_left and context.cooling_days_left > 0:
            found["cooling"] = said["cooling"].format(days=context.cooling_days_left)
        window = timedelta(hours=t.get("repeated_within_hours", 24))
        recent = [d for d in context.recent_drafts if timedelta(0) <= sent_at - d <= window]
        if len(recent) + 1 >= t.get("repeated_count", 2):
            found["repeated"] = said["repeated"].format(count=len(recent) + 1)
        for name in PATTERNED[1:]:
            hits = search(name)
            if name == "apology_flood":
                if len(hits) >= 2:
                    found[name] = said[name].format(count=len(hits))
            elif hits:
                found[name] = said[name].format(quote=_quote(norm, hits[0]))
        if len(draft) > t.get("long_chars", 120):
            found["long"] = said["long"].format(count=len(draft))
        tone = [s for s in found
                if s not in ("late_night", "cooling", "repeated", "long", "partnered")]  # fmt: skip
        margin = t.get("model_margin", 0.0)
        if not tone and self.model is not None and self.model.score(draft) > margin:
            quote = self.model.riskiest_clause(draft)
            quote = quote if len(quote) <= 24 else quote[:23] + "…"
            found["heavy"] = said["heavy"].format(quote=quote)

        signals = tuple(s for s in ORDER if s in found)
        reasons = tuple(found[s] for s in signals[:MAX_REASONS])
        wait = bool(signals)
        remind = morning_after(local, self.rules.morning_hour, self.rules.min_gap) if wait else None
        return Verdict(
            wait=wait,
            reasons=reasons,
            signals=signals,
            remind_at=remind,
            block="no_contact" in found,
            tip=None if wait else self.rules.pass_tip or None,
        )
