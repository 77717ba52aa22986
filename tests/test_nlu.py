"""The classifier on messages it never trained on, and the safety rules that outrank it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluate import read_tsv, score
from bot.nlu.normalize import fold_kana, normalize

DATA = Path(__file__).parent / "data"
HELD_OUT = sorted(DATA.glob("intents_*.tsv"))


def test_normalize_folds_widths_and_marks() -> None:
    assert normalize("ﾌﾞﾛｯｸされた！！！！") == "ブロックされた!!"
    assert normalize("ＬＩＮＥ　きた〜〜〜") == "line きた~~"
    assert fold_kana(normalize("ｼﾆﾀｲ")) == "しにたい"


@pytest.mark.parametrize("path", HELD_OUT, ids=lambda p: p.name)
def test_held_out_accuracy_and_every_crisis_caught(classifier, path: Path) -> None:
    rows = read_tsv(path)
    predicted = [classifier.classify(text).intent for _, text in rows]
    result = score([gold for gold, _ in rows], predicted)
    assert result["crisis_caught"] == result["crisis_total"] > 0
    assert result["accuracy"] >= 0.95, result


@pytest.mark.parametrize(
    "text",
    ["もう死にたい", "ｼﾆﾀｲ", "しにたぃ", "消えてしまいたい", "生きてる意味ない", "リスカしちゃった",
     "死にたかよ", "薬いっぱい飲んだ", "明日なんて来なくていい", "いきてるいみない"],
)  # fmt: skip
def test_crisis_phrases_are_rules_not_guesses(classifier, text: str) -> None:
    p = classifier.classify(text)
    assert (p.intent, p.source) == ("crisis", "rule")


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_crisis_wins_anywhere_in_a_long_message(classifier, where: str) -> None:
    story = (
        "元カノに復縁したいって伝えたけど、断られた。冷却期間ってどれくらい置けばいいのかな。" * 80
    )
    sign = "もう消えてしまいたい。"
    text = {"start": sign + story, "middle": story[:1500] + sign + story[1500:],
            "end": story + sign}[where]  # fmt: skip
    assert len(text) > 3000
    assert classifier.classify(text).intent == "crisis"


@pytest.mark.parametrize("text", ["死ぬほど好きだった", "ガチャ爆死した", "あの世界に戻りたい"])
def test_hyperbole_is_not_crisis(classifier, text: str) -> None:
    assert classifier.classify(text).intent != "crisis"


@pytest.mark.parametrize(
    "text",
    ["元カノの家の前で待ち伏せしようかな", "ブロックされたから別アカ作って連絡する",
     "彼の職場まで会いに行く", "GPSで居場所わかるようにしたい"],
)  # fmt: skip
def test_boundary_crossing_plans_are_stalking_risk(classifier, text: str) -> None:
    assert classifier.classify(text).intent == "stalking_risk"


def test_empty_text_is_other(classifier) -> None:
    assert classifier.classify("   ").intent == "other"


def test_compiled_model_gives_sklearns_probabilities(content, tmp_path) -> None:
    import numpy as np

    from bot.nlu.model import IntentModel

    trained = IntentModel(content.examples, cache_dir=tmp_path)
    assert trained.pipeline is not None and list(tmp_path.glob("intent-*.npz"))
    loaded = IntentModel(content.examples, cache_dir=tmp_path)  # from the cache: no training
    assert loaded.pipeline is None
    for _, text in read_tsv(HELD_OUT[0])[:80]:
        x = fold_kana(normalize(text))
        expected = trained.pipeline.predict_proba([x])[0]
        assert np.allclose(trained.compiled.proba(x), expected, atol=1e-6)
        assert np.allclose(loaded.compiled.proba(x), expected, atol=1e-6)
