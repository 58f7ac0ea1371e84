"""Text primitives every check shares: normalisation, lexical keys, sentences and clauses, quoting.

Machine-translated sources space their Chinese ("纳斯达克 100 指数下跌 1.9 %"); `compact` undoes
that, `normalize` makes full-width digits ASCII without changing lengths (so spans stay valid), and
`squash` is the key lexical matching compares.
"""

from __future__ import annotations

import re
import unicodedata

MASK = "\u2588"

# -- normalisation -----------------------------------------------------------------------------

_FULLWIDTH = {c: unicodedata.normalize("NFKC", chr(c)) for c in range(0xFF01, 0xFF5F)}
for _keep in "，；：！？（）【】「」《》":
    _FULLWIDTH.pop(ord(_keep), None)
_FULLWIDTH[0x3000] = " "
_FULLWIDTH[0x00A0] = " "


def normalize(text: str) -> str:
    """Full-width digits, letters and ％＄ as ASCII; Chinese punctuation is kept (same length)."""
    return text.translate(_FULLWIDTH)


_CJK_SPACE = re.compile(
    r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t]+|[ \t]+(?=[\u3000-\u9fff\uff00-\uffef])"
)


def compact(text: str) -> str:
    """Machine-translated spacing undone: "纳斯达克 100 指数下跌 1.9%" → "纳斯达克100指数下跌1.9%"."""
    return _CJK_SPACE.sub("", text)


NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def squash(text: str) -> str:
    """Lowercase, no whitespace, no punctuation: what lexical matching compares."""
    return NOT_WORD.sub("", normalize(text).lower())


def bigrams(text: str) -> set[str]:
    s = squash(text)
    return {s[i : i + 2] for i in range(len(s) - 1)} if len(s) > 1 else ({s} if s else set())


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = MASK * (b - a)
    return "".join(chars)


def source_sentences(text: str) -> list[str]:
    """Source sentences end at 。！？ or a line break; ； only separates clauses of one sentence."""
    return [
        s.strip()
        for line in text.split("\n")
        for s in re.findall(r"[^。！？!?]+[。！？!?]*", line)
        if s.strip()
    ]


def split_clauses(text: str) -> list[str]:
    """Clauses end at ，；：。！？ (a comma between digits is a thousands separator)."""
    return [c for c in re.split(r"[，；;：:。！？!?\n]|,(?!\d{3})|(?<!\d),", text) if c.strip()]


def quote(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n
