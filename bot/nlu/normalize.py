"""Text normalisation so 「ﾌﾞﾛｯｸ」, 「ブロック」 and 「ブロック！！！」 look alike to rules and model."""

from __future__ import annotations

import re
import unicodedata

_REPEATS = re.compile(r"([!?！？。、…〜ー~wｗ笑])\1{2,}")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC (half-width kana → full-width, full-width ASCII → ASCII), lower case,
    runs of the same mark squeezed to two, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("〜", "~").replace("～", "~")
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip()
