"""The sets in tests/data/real/, written like real people's messages and never trained on, and
how each is scored. `make eval` prints these figures; tests/test_real_sets.py holds them.

- realistic_*.tsv  `labels<TAB>text`: labels is an intent id, or two joined by | when both fit
- subtle_crisis.tsv `crisis|concern<TAB>text`: indirect signs (must be crisis) and exhaustion
  without them (must not be crisis; should be concern)
- sad_safe.tsv     `intent<TAB>text`: sad stories, hyperbole, jokes: never crisis
- negation.tsv     `intent<TAB>facts<TAB>text`: facts as refused=1,blocked=0,days=7 / days=? / -
- requests.tsv     `request<TAB>text`: what the user asks the bot itself (none: not a request)
- drafts_real.tsv  `wait|pass<TAB>sent_at<TAB>draft`: what people send an ex"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parent.parent / "tests" / "data" / "real"
FINAL = REAL / "final"  # written apart, by another hand (see tests/data/real/README.md)
FINAL2 = REAL / "final2"  # written after every rule change; measured once, never read
LONG = 100  # characters: a "long" message, for the share reported


def rows(name: str, columns: int = 2, folder: Path = REAL) -> list[list[str]]:
    out = []
    for n, line in enumerate((folder / name).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            parts = line.split("\t", columns - 1)
            if len(parts) != columns:
                raise ValueError(f"{name}:{n}: expected {columns} tab-separated columns")
            out.append(parts)
    return out


def realistic(folder: Path = REAL) -> list[list[str]]:
    return [r for path in sorted(folder.glob("realistic*.tsv")) for r in rows(path.name, 2, folder)]


def crisis_figures(reader: Any, data: list[list[str]]) -> dict[str, float]:
    """Subtle set: every crisis caught by a rule; exhaustion read as concern, never crisis."""
    frames = [(label, reader.read(text)) for label, text in data]
    crisis = [f for label, f in frames if label == "crisis"]
    concern = [f for label, f in frames if label == "concern"]
    return {
        "n": len(frames),
        "crisis_caught": sum(f.risk == "crisis" for f in crisis),
        "crisis_total": len(crisis),
        "crisis_asked": sum(f.risk == "concern" for f in crisis),  # not by rule: asked directly
        "concern_total": len(concern),
        "concern_asked": sum(f.risk == "concern" for f in concern),
        "concern_as_crisis": sum(f.risk == "crisis" for f in concern),
        "missed": [f.text for f in crisis if f.risk != "crisis"],
    }


def safe_figures(reader: Any, data: list[list[str]]) -> dict[str, Any]:
    frames = [(label, reader.read(text)) for label, text in data]
    return {
        "n": len(frames),
        "accuracy": sum(f.intent in label.split("|") for label, f in frames) / len(frames),
        "false_crisis": sum(f.risk == "crisis" for _, f in frames),
        "concern": sum(f.risk == "concern" for _, f in frames),
        "alarms": [f.text for _, f in frames if f.risk == "crisis"],
    }


def parse_facts(spec: str) -> dict[str, str]:
    if spec.strip() in ("", "-"):
        return {}
    return dict(item.strip().split("=", 1) for item in spec.split(",") if item.strip())


def fact_errors(frame: Any, expected: dict[str, str]) -> list[str]:
    """What the frame got wrong of the facts the message states."""
    errors = []
    for name, value in expected.items():
        if name == "days":
            if value == "?":
                if not frame.asks_time or frame.days_ago is not None:
                    errors.append(f"days=? read as {frame.days_ago}")
            elif frame.days_ago is None or abs(frame.days_ago - int(value)) > max(
                2, int(value) // 5
            ):
                errors.append(f"days={value} read as {frame.days_ago}")
        else:
            got = frame.fact(name)
            want = value == "1"
            if got is not want:
                errors.append(f"{name}={value} read as {got}")
    return errors


def negation_figures(reader: Any, data: list[list[str]]) -> dict[str, Any]:
    right_intent = right_facts = 0
    wrong = []
    for label, spec, text in data:
        frame = reader.read(text)
        right_intent += frame.intent in label.split("|")
        errors = fact_errors(frame, parse_facts(spec))
        right_facts += not errors
        if errors:
            wrong.append((text, errors))
    return {"n": len(data), "intent": right_intent / len(data),
            "facts": right_facts / len(data), "wrong": wrong}  # fmt: skip


def request_figures(reader: Any, data: list[list[str]]) -> dict[str, Any]:
    got = [(label, reader.read(text).request or "none", text) for label, text in data]
    asked = [g for g in got if g[0] != "none"]
    none = [g for g in got if g[0] == "none"]
    return {
        "n": len(got),
        "accuracy": sum(label == r for label, r, _ in got) / len(got),
        "recall": sum(label == r for label, r, _ in asked) / max(1, len(asked)),
        "false_request": sum(r != "none" for _, r, _ in none),
        "none_total": len(none),
        "confusions": Counter((label, r) for label, r, _ in got if label != r),
        "wrong": [(label, r, text) for label, r, text in got if label != r],
    }


def long_share(texts: list[str]) -> float:
    return sum(len(t) >= LONG for t in texts) / max(1, len(texts))
