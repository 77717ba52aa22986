"""`make eval`: how well the classifier generalises, measured honestly.

- Cross-validation (5 stratified folds) of the whole classifier (safety rules + model) on
  content/examples: every fold's model is trained without the messages it is scored on.
- Held-out sets in tests/data/ (written apart from the training data, never trained on).
- Sets written like real people's messages in tests/data/real/ (long stories, 『』 quotes,
  dialect, negation, requests to the bot, subtle crisis signs, sad but safe stories, real
  drafts), kept apart from training: what the README reports and the tests hold.
Prints Markdown tables, ready for the README."""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot import eval_conversations
from bot.config import load_settings
from bot.content import INTENT_IDS, Content, load_content
from bot.dialogue.engine import Engine
from bot.nlu.classifier import IntentClassifier
from bot.nlu.lexicon import Lexicon
from bot.nlu.safety import SafetyRules
from bot.nudge import Nudge
from bot.wiring import build_nudge

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def read_tsv(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            intent, text = line.split("\t", 1)
            rows.append((intent, text))
    return rows


def score_real(labels: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """Like `score`, where a gold label may name two intents that both fit (`why|ghosted`):
    a prediction of either is right. Adds the false-crisis rate over non-crisis messages."""
    gold = []
    for label, p in zip(labels, pred, strict=True):
        options = label.split("|")
        gold.append(p if p in options else options[0])
    result = score(gold, pred)
    safe = [p for label, p in zip(labels, pred, strict=True) if "crisis" not in label.split("|")]
    result["false_crisis"] = sum(p == "crisis" for p in safe)
    result["safe_total"] = len(safe)
    return result


def score(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    right = sum(g == p for g, p in zip(gold, pred, strict=True))
    f1s = []
    for intent in INTENT_IDS:
        tp = sum(g == p == intent for g, p in zip(gold, pred, strict=True))
        fp = sum(p == intent != g for g, p in zip(gold, pred, strict=True))
        fn = sum(g == intent != p for g, p in zip(gold, pred, strict=True))
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    crisis = [p for g, p in zip(gold, pred, strict=True) if g == "crisis"]
    return {
        "n": len(gold),
        "accuracy": right / len(gold),
        "macro_f1": sum(f1s) / len(f1s),
        "crisis_caught": sum(p == "crisis" for p in crisis),
        "crisis_total": len(crisis),
    }


def cross_validate(safety: SafetyRules, lexicon: Lexicon, examples: dict[str, tuple[str, ...]],
                   folds: int = 5):  # fmt: skip
    rng = random.Random(0)
    buckets: list[list[tuple[str, str]]] = [[] for _ in range(folds)]
    for intent, lines in sorted(examples.items()):
        shuffled = list(lines)
        rng.shuffle(shuffled)
        for n, line in enumerate(shuffled):
            buckets[n % folds].append((intent, line))
    gold, pred = [], []
    for k in range(folds):
        train: dict[str, list[str]] = {}
        for j, bucket in enumerate(buckets):
            if j != k:
                for intent, line in bucket:
                    train.setdefault(intent, []).append(line)
        clf = IntentClassifier(safety, lexicon, train)
        for intent, line in buckets[k]:
            gold.append(intent)
            pred.append(clf.classify(line).intent)
    return score(gold, pred), gold, pred


def read_drafts(path: Path) -> list[tuple[bool, datetime, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, sent_at, text = line.split("\t", 2)
            rows.append((label == "wait", datetime.fromisoformat(sent_at), text))
    return rows


def nudge_scores(nudge: Nudge, rows: list[tuple[bool, datetime, str]]) -> dict[str, float]:
    tp = fp = fn = silent = 0
    for should_wait, sent_at, text in rows:
        verdict = nudge.review(text, sent_at)
        tp += verdict.wait and should_wait
        fp += verdict.wait and not should_wait
        fn += should_wait and not verdict.wait
        silent += verdict.wait and not verdict.reasons
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": len(rows), "precision": precision, "recall": recall, "f1": f1,
            "no_reason": silent}  # fmt: skip


def evaluate_nudge(content: Content) -> None:
    nudge = build_nudge(load_settings(), content)
    print(
        "| draft set | drafts | precision (wait) | recall (wait) | F1 (wait) | nudges without reasons |"
    )
    print("|---|---|---|---|---|---|")
    for path in sorted(DATA.glob("drafts_*.tsv")):
        s = nudge_scores(nudge, read_drafts(path))
        print(f"| tests/data/{path.name} | {s['n']} | {s['precision']:.3f} | {s['recall']:.3f} | "
              f"{s['f1']:.3f} | {s['no_reason']} |")  # fmt: skip


def evaluate_real(clf: IntentClassifier, nudge: Nudge, show_errors: bool = False) -> None:
    """The figures on sets written like real people's messages (tests/data/real/): the
    development sets, then the final ones (measured only)."""
    from bot import eval_sets as sets

    print(
        "| real-style set | messages | long | accuracy | macro-F1 | crisis caught | false crisis |"
    )
    print("|---|---|---|---|---|---|---|")
    errors: list[str] = []
    for name, folder in (("development", sets.REAL), ("final", sets.FINAL),
                         ("final2", sets.FINAL2)):  # fmt: skip
        if folder.is_dir():
            errors += _real_rows(clf, sets, name, folder)
    neg = sets.negation_figures(clf, sets.rows("negation.tsv", 3))
    print(f"| negation (development) | {neg['n']} | – | {neg['intent']:.1%} | – | – | – |")
    print(f"\nnegation: facts read right (polarity, duration, a question for a time) "
          f"in {neg['facts']:.1%} of {neg['n']} messages")  # fmt: skip
    req = sets.request_figures(clf, sets.rows("requests.tsv"))
    print(f"requests to the bot: {req['accuracy']:.1%} right of {req['n']} "
          f"(recall {req['recall']:.1%}; {req['false_request']}/{req['none_total']} "
          f"look-alikes taken as a request)")  # fmt: skip
    d = nudge_scores(nudge, read_drafts(sets.REAL / "drafts_real.tsv"))
    print(
        f"real drafts: nudge precision {d['precision']:.3f}, recall {d['recall']:.3f}, "
        f"F1 {d['f1']:.3f} ({d['n']} drafts, {d['no_reason']} nudges without reasons)"
    )
    if show_errors:
        errors += [f"negation {e}: {t[:80]}" for t, e in neg["wrong"]]
        errors += [f"request {g} → {r}: {t[:80]}" for g, r, t in req["wrong"]]
        print("\n".join(f"  {e}" for e in errors))


def _real_rows(clf: IntentClassifier, sets: Any, name: str, folder: Path) -> list[str]:
    """Print one set's rows; return its errors. Final sets report figures only."""
    data = sets.realistic(folder)
    predicted = [clf.classify(text).intent for _, text in data]
    if data:
        s = score_real([label for label, _ in data], predicted)
        print(f"| realistic ({name}) | {s['n']} | {sets.long_share([t for _, t in data]):.0%} | "
              f"{s['accuracy']:.1%} | {s['macro_f1']:.3f} | {s['crisis_caught']}/{s['crisis_total']} | "
              f"{s['false_crisis']}/{s['safe_total']} ({s['false_crisis'] / s['safe_total']:.1%}) |")  # fmt: skip
    subtle_rows = sets.rows("subtle_crisis.tsv", 2, folder)
    subtle = sets.crisis_figures(clf, subtle_rows)
    print(f"| subtle crisis ({name}) | {subtle['n']} | "
          f"{sets.long_share([t for _, t in subtle_rows]):.0%} | – | – | "
          f"{subtle['crisis_caught']}/{subtle['crisis_total']} (+{subtle['crisis_asked']} asked) | "
          f"{subtle['concern_as_crisis']}/{subtle['concern_total']} exhaustion as crisis; "
          f"{subtle['concern_asked']}/{subtle['concern_total']} asked gently |")  # fmt: skip
    safe_rows = sets.rows("sad_safe.tsv", 2, folder)
    safe = sets.safe_figures(clf, safe_rows)
    print(f"| sad but safe ({name}) | {safe['n']} | "
          f"{sets.long_share([t for _, t in safe_rows]):.0%} | {safe['accuracy']:.1%} | – | – | "
          f"{safe['false_crisis']}/{safe['n']} ({safe['false_crisis'] / safe['n']:.1%}); "
          f"concern {safe['concern']} |")  # fmt: skip
    if folder != sets.REAL:
        return []
    out = [f"realistic {label} → {p}: {t[:90]}"
           for (label, t), p in zip(data, predicted, strict=True) if p not in label.split("|")]  # fmt: skip
    out += [f"missed crisis: {t[:90]}" for t in subtle["missed"]]
    out += [f"false alarm: {t[:90]}" for t in safe["alarms"]]
    return out


def evaluate_conversations(engine: Engine, errors: bool) -> None:
    """Replies about what was asked, in conversations (bot.eval_conversations)."""
    print("| conversations | labelled replies | about what was asked |")
    print("|---|---|---|")
    sets = [("tests/conversations (development)", sorted((DATA.parent / "conversations").glob("*.yaml"))),
            ("tests/data/real/conversations_dev.yaml (development)",
             [DATA / "real" / "conversations_dev.yaml"]),
            ("tests/data/real/conversations_dev2*.yaml (development, written later)",
             sorted((DATA / "real").glob("conversations_dev2*.yaml"))),
            ("tests/data/real/conversations_dev3.yaml (development, written this session)",
             [DATA / "real" / "conversations_dev3.yaml"]),
            ("tests/data/real/conversations_final.yaml (held out)",
             [DATA / "real" / "conversations_final.yaml"])]  # fmt: skip
    for name, paths in sets:
        convs = [c for p in paths if p.exists() for c in eval_conversations.load(p)]
        if not convs:
            continue
        result = eval_conversations.score(engine, convs)
        print(f"| {name} | {result.labelled} | {result.rate:.1%} |")
        if errors and "held out" not in name:  # the held-out set is measured, never read
            print("\n".join(f"  miss: {m}" for m in result.misses))


def row(name: str, s: dict[str, float]) -> str:
    return (
        f"| {name} | {s['n']} | {s['accuracy']:.1%} | {s['macro_f1']:.3f} | "
        f"{s['crisis_caught']}/{s['crisis_total']} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__)
    parser.add_argument("--errors", action="store_true", help="list the errors on every set")
    parser.add_argument("--real", action="store_true", help="only the real-style sets (fast)")
    parser.add_argument("--conversations", action="store_true",
                        help="only: are the replies about what was asked (fast)")  # fmt: skip
    args = parser.parse_args(argv)
    content = load_content(load_settings().content_dir)
    safety = SafetyRules.from_content(content.safety)

    if args.conversations:
        clf = IntentClassifier(safety, Lexicon.from_content(content.understanding),
                               content.examples, load_settings().model_cache_dir)  # fmt: skip
        evaluate_conversations(Engine(content, clf, build_nudge(load_settings(), content),
                                      load_settings().model_cache_dir),
                               args.errors)  # fmt: skip
        return 0

    if args.real:
        clf = IntentClassifier(safety, Lexicon.from_content(content.understanding),
                               content.examples, load_settings().model_cache_dir)  # fmt: skip
        evaluate_real(clf, build_nudge(load_settings(), content), args.errors)
        return 0
    print("| set | messages | accuracy | macro-F1 | crisis caught |")
    print("|---|---|---|---|---|")
    lexicon = Lexicon.from_content(content.understanding)
    cv, gold, pred = cross_validate(safety, lexicon, dict(content.examples))
    print(row("content/examples, 5-fold cross-validation", cv))
    clf = IntentClassifier(safety, lexicon, content.examples)
    timings = []
    for path in sorted(DATA.glob("intents_*.tsv")):
        rows = read_tsv(path)
        start = time.perf_counter()
        predicted = [clf.classify(text).intent for _, text in rows]
        timings.append((time.perf_counter() - start) / len(rows))
        print(row(f"tests/data/{path.name} (held out)", score([g for g, _ in rows], predicted)))
    if timings:
        print(f"\nclassify: {sum(timings) / len(timings) * 1000:.2f} ms per message")
    print()
    evaluate_nudge(content)
    print()
    evaluate_real(clf, build_nudge(load_settings(), content), args.errors)
    confusions = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    print("\nmost frequent cross-validation confusions (gold → predicted):")
    for (g, p), n in confusions.most_common(8):
        print(f"  {g} → {p}: {n}")
    if args.errors:
        for g, p in confusions:
            print(g, p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
