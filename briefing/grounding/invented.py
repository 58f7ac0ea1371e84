"""Invented specifics: a person or a publication that no source names, even when every other word of
the claim is in the sources.

    names         a transliterated name (马克·桑德森), a name after a title (副行长拉姆斯登) or before
                  one (国泰君安期货分析师), an institution by its suffix (世界金属统计局): each must be
                  named by some source (speakers.names_in finds them; alias-table names are entities.py's)
    publications  据《金融时报》报道 / 据路透社报道: the source sentence that states the claim must
                  credit the same publication (in it or the sentence before)

Invented figures and measures are the number and coverage checks' (verdict.py).
"""

from __future__ import annotations

import re

from briefing.grounding.corpus import Corpus
from briefing.grounding.speakers import names_in, unknown
from briefing.grounding.text import compact, normalize, quote, squash
from briefing.rules import Rules

_CREDIT = re.compile(
    r"据\s*《(?P<a>[^》]{1,20})》|《(?P<b>[^》]{1,20})》(?:报道|援引|称|披露|消息)"
    r"|据(?P<c>[\u4e00-\u9fffA-Za-z]{2,10}?)(?:报道|消息|援引|披露)"
)


def invented_names(body: str, corpus: Corpus, rules: Rules) -> list[str]:
    """Name-like spans of the claim that no source names."""
    return sorted(
        n for n in names_in(body, strict=True) if not rules.entities_in(n) and unknown(n, corpus)
    )


def credit_conflicts(body: str, corpus: Corpus) -> list[str]:
    """A publication credited that the source sentence stating the claim does not credit."""
    text = compact(normalize(body))
    out = []
    for m in _CREDIT.finditer(text):
        name = m.group("a") or m.group("b") or m.group("c")
        rest = text[: m.start()] + text[m.end() :]
        cover = corpus.sentence_coverage(rest)
        sid = max(cover, key=lambda i: cover[i], default=None)
        if sid is None or cover[sid] < 0.5:
            continue
        near = corpus.sents[sid][1]
        if sid > 0 and corpus.sents[sid - 1][0] == corpus.sents[sid][0]:
            near = corpus.sents[sid - 1][1] + near
        if squash(name) not in squash(near):
            credited = _CREDIT.search(compact(normalize(near)))
            said = (
                f"credits “{credited.group('a') or credited.group('b') or credited.group('c')}”"
                if credited
                else "credits no publication"
            )
            out.append(
                f"credited to “{name}”, but the source {said}: {quote(corpus.sents[sid][1])}"
            )
    return out
