"""Not amounts: ranks and idioms that look like figures.

第三次, 第八个月 are ranks: they are kept out of the quantities (facts.extract) and checked here as
ranks of the same thing — "第五次降息" where the source says "第六次降息" is wrong, but a rank is
never compared with money or counts. Idioms with a numeral (独中两元, 一石二鸟) are not quantities at
all (numbers.find_quantities: a one-character Chinese numeral before a currency is not money).
"""

from __future__ import annotations

from briefing.grounding.corpus import Corpus
from briefing.grounding.facts import extract
from briefing.grounding.text import compact, normalize, quote
from briefing.rules import Rules


def _head(text: str, end: int) -> str:
    """The two characters a rank is of: 第六次|降息, 第八个月|下降."""
    return text[end : end + 2]


def ordinal_conflicts(body: str, corpus: Corpus, rules: Rules) -> list[str]:
    """A rank of the claim where the sources give the same thing another rank."""
    text = compact(normalize(body))
    out = []
    for o in extract(text, rules).ordinals:
        head = _head(text, o.end)
        same = [r for r in corpus.ordinals() if r[0].unit == o.unit and r[1] == head]
        if same and not any(r[0].value == o.value for r in same):
            out.append(
                f"rank “第{o.text}{head}”: the source says “第{same[0][0].text}{head}”: {quote(same[0][2])}"
            )
    return out
