"""Text normalisation so 「ﾌﾞﾛｯｸ」, 「ブロック」 and 「ブロック！！！」 look alike."""

from __future__ import annotations

import re
import unicodedata

_REPEATS = re.compile(r"([!?！？。、…~ー・wｗ笑])\1{2,}")
_SPACES = re.compile(r"\s+")
_KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}  # ァ..ヶ → ぁ..ゖ
_SMALL = str.maketrans("ぁぃぅぇぉっゃゅょゎ", "あいうえおつやゆよわ")


def normalize(text: str) -> str:
    """NFKC (half-width kana → full-width, full-width ASCII → ASCII), lower case, wave dashes
    unified, runs of the same mark squeezed to two, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("〜", "~").replace("～", "~")
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()


def fold_kana(normalized: str) -> str:
    """Katakana → hiragana and small kana → large, for rules that should not care whether
    someone typed 「シニタイ」, 「しにたぃ」 or 「しにたい」."""
    return normalized.translate(_KATAKANA).translate(_SMALL)
