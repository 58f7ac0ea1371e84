"""Negation: the claim and the source sentence it restates differ in whether something is denied.

Each negator (不/未/没有/并非/而非/不会/无法/尚未/缺乏…) denies the two characters after it (its
head: 并不|意味着, 未能|单独, 并非由|需求, 而非|源于). A claim that denies a head the source sentence
affirms (and never denies), or affirms a head the source sentence denies, contradicts it. "A 而非 B"
reversed is both at once; a bare 非 right before a word the source also uses bare (非制造业 beside
制造业) names a second category, not a denial (a category swapped for its complement when the
source names both is a known miss). Words that only look negative (未来, 非农, 不断, 不少, 不足, 不及, 无论…)
are not negators; 不足/不及 are comparisons (directions.py). Opposite relations with their own
words (相同/不同, 短缺/过剩) are direction families.
"""

from __future__ import annotations

import re

from briefing.grounding.corpus import Corpus
from briefing.grounding.speakers import SAYS
from briefing.grounding.text import compact, normalize, quote

_NEGATORS = (
    "并不 并非 而非 并未 并没有 不会 不能 不应 不是 不再 未能 尚未 没有 无法 难以 缺乏 缺少 毫无 从未 "
    "不 未 没 非 无"
).split()
_NEG = re.compile("|".join(sorted(_NEGATORS, key=len, reverse=True)))
# words that contain a negator's character but deny nothing
_LOOKALIKE = re.compile(
    "未来|非农|非银|非洲|南非|非常|除非|是非|无论|无疑|无锡|无人|不断|不少|不过|不仅|不但|不论|不久|不足|"
    "不及|不到|不变|不一|不确定|不良|不动产|不利|不同|无息|非常规|未经|不如|不得不"
)
_ADVERBS = set("绝亦既并而决且若实本原")  # 绝非, 亦非, 既非…: a denial, not a category prefix
_SKIP = set("由是会能被再太算够为在于了")


def _negations(text: str) -> list[tuple[int, int, str]]:
    """(negator start, head start, head) for each negator of a compacted text."""
    hidden = _LOOKALIKE.sub(lambda m: "\u2588" * len(m.group(0)), text)
    out = []
    for m in _NEG.finditer(hidden):
        h = m.end()
        while h < len(text) and text[h] in _SKIP:
            h += 1
        head = text[h : h + 2]
        if len(head) == 2 and re.fullmatch(r"[\u4e00-\u9fff]{2}", head):
            out.append((m.start(), h, head))
    return out


def _denied(text: str, head: str, negs: list[tuple[int, int, str]]) -> tuple[bool, bool]:
    """Whether `text` affirms `head` somewhere, and whether it denies it somewhere."""
    denied_at = {h for _, h, hd in negs if hd == head}
    spots = [m.start() for m in re.finditer(re.escape(head), text)]
    return any(s not in denied_at for s in spots), any(s in denied_at for s in spots)


def negation_conflicts(body: str, corpus: Corpus) -> list[str]:
    """Heads the claim denies and its source sentence affirms, or the other way round."""
    text = compact(normalize(body))
    said = SAYS.search(text)  # what was said is matched, not who said it (often a sentence earlier)
    cover = corpus.sentence_coverage(text[said.end() :] if said else text)
    ranked = sorted(cover, key=lambda i: -cover[i])[:2]
    sents = [corpus.sents[i][1] for i in ranked if cover[i] >= 0.4]
    if not sents:
        return []
    src = compact(normalize("".join(sents)))
    mine, theirs = _negations(text), _negations(src)
    out = []
    for _, _, head in mine:
        affirmed, denied = _denied(src, head, theirs)
        if affirmed and not denied:
            out.append(f"the claim denies “{head}”, the source affirms it: {quote(sents[0])}")
    for start, at, head in theirs:
        affirmed, denied = _denied(text, head, mine)
        # a bare 非 right before a word the source also uses bare names a second category
        # (制造业… ；非制造业…), not a denial; 绝非/并非/非由… and a verb's denial still are one
        category = (
            src[start] == "非"
            and at == start + 1
            and (start == 0 or src[start - 1] not in _ADVERBS)
            and _denied(src, head, theirs)[0]
        )
        if affirmed and not denied and not category and not any(h == head for _, _, h in mine):
            out.append(f"the source denies “{head}”, the claim affirms it: {quote(sents[0])}")
    return list(dict.fromkeys(out))
