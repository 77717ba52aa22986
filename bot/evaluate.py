"""`make eval`: how well the classifier generalises, measured honestly.

- Cross-validation (5 stratified folds) of the whole classifier (safety rules + model) on
  content/examples: every fold's model is trained without the messages it is scored on.
- Held-out sets in tests/data/ (written apart from the training data, never trained on).
Prints Markdown tables, ready for the README."""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.config import load_settings
from bot.content import INTENT_IDS, Content, load_content
from bot.nlu.classifier import IntentClassifier
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


def cross_validate(safety: SafetyRules, examples: dict[str, tuple[str, ...]], folds: int = 5):
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
        clf = IntentClassifier(safety, train)
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


def row(name: str, s: dict[str, float]) -> str:
    return (
        f"| {name} | {s['n']} | {s['accuracy']:.1%} | {s['macro_f1']:.3f} | "
        f"{s['crisis_caught']}/{s['crisis_total']} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__)
    parser.add_argument("--errors", action="store_true", help="list cross-validation errors")
    args = parser.parse_args(argv)
    content = load_content(load_settings().content_dir)
    safety = SafetyRules.from_content(content.safety)

    print("| set | messages | accuracy | macro-F1 | crisis caught |")
    print("|---|---|---|---|---|")
    cv, gold, pred = cross_validate(safety, dict(content.examples))
    print(row("content/examples, 5-fold cross-validation", cv))
    clf = IntentClassifier(safety, content.examples)
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
