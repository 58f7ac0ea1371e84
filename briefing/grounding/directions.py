"""Direction words (涨/跌, 上调/下调, 加息/降息, 利多/利空…) and the check that a claim's direction
agrees with the source clause it restates, and an impact bullet's stance with how the sources rate
that asset."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from briefing.grounding.text import (
    MASK,
    common_prefix,
    compact,
    normalize,
    quote,
    split_clauses,
    squash,
)
from briefing.rules import Rules, keyword_pattern

if TYPE_CHECKING:
    from briefing.grounding.claims import Claim
    from briefing.grounding.corpus import Corpus, SourceClause

# -- directions --------------------------------------------------------------------------------

# family -> (words that go up / are for, words that go down / are against); "" marks nouns to skip
DIRECTIONS: dict[str, tuple[list[str], list[str]]] = {
    "move": (
        "上涨 涨 走高 攀升 上升 回升 反弹 走强 收涨 收高 收升 上行 上扬 升值 增长 增加 扩大 提高 上调 飙升 大涨 "
        "跳涨 微涨 小涨 升至 涨至 突破 高开 涨停 领涨 走坚 转强".split(),
        "下跌 跌 走低 下滑 下降 回落 下挫 走弱 收跌 收低 收降 下行 下探 贬值 减少 收窄 缩小 降低 下调 暴跌 大跌 "
        "跳水 微跌 小跌 降至 跌至 跌破 低开 跌停 萎缩 领跌 走软 转弱 重挫".split(),
    ),
    "pace": ("加快 加速 提速 放量".split(), "放缓 放慢 减速 缩量".split()),
    "policy": ("加息 收紧 鹰派 缩表".split(), "降息 宽松 放松 鸽派 扩表 降准".split()),
    "stance": ("利多 利好 看多 看涨 偏多".split(), "利空 看空 看跌 偏空".split()),
    "flow": ("净流入 增持 净买入 净投放".split(), "净流出 减持 净卖出 净回笼".split()),
    "compare": (
        "高于 超过 超出 好于 强于 多于 快于 大于 优于".split(),
        "低于 不及 逊于 弱于 少于 慢于 小于 不足 不到".split(),
    ),
    "extreme": ("最高 新高 最大 最多 最快".split(), "最低 新低 最小 最少 最慢".split()),
    "balance": ("过剩 供过于求 盈余".split(), "短缺 供不应求 缺口".split()),
    "breadth": (
        "全线 普涨 普跌 齐涨 齐跌".split(),
        "涨跌互现 涨跌分化 涨跌不一 互有涨跌 分化".split(),
    ),
    "trade": (["顺差"], ["逆差"]),
    "profit": ("盈利 扭亏".split(), "亏损 转亏".split()),
}
_NEUTRAL = (
    "涨幅 跌幅 降幅 增幅 升幅 增速 经济增长 增长预期 增长率 增长目标 增长前景 增长动能 涨跌 升降 由降转涨 由涨转降 "
    "最高法院 新高度 缩小版"
).split()
# a move word after one of these nouns moves a rate, not a level: "涨幅回落" is not "价格下跌"
_RATE_NOUNS = re.compile(r"涨幅|跌幅|增速|增幅|降幅|升幅|增长率|涨势|速度|步伐|节奏|通胀")
# "较上月扩大", "比预期减少": a move measured against something else is also a comparison
_AGAINST = re.compile(r"较|(?<![同环])比|相比|相较")
_LEXICON: dict[str, tuple[str, int]] = {w: ("", 0) for w in _NEUTRAL}
for _fam, (_up, _down) in DIRECTIONS.items():
    _LEXICON.update({w: (_fam, 1) for w in _up})
    _LEXICON.update({w: (_fam, -1) for w in _down})
_DIRECTION = keyword_pattern(list(_LEXICON))


@dataclass
class Direction:
    word: str
    family: str
    polarity: int
    start: int
    end: int


def directions(text: str) -> list[Direction]:
    """Direction words, longest first (涨幅 is a noun, not 涨), nouns dropped. A move word after a rate
    noun (涨幅回落) is a change of pace; one measured against something (较上月扩大) also compares."""
    assert _DIRECTION is not None
    out: list[Direction] = []
    last = 0
    for m in _DIRECTION.finditer(text):
        word = m.group(0)
        if word in ("收高", "收低") and text[m.end() : m.end() + 1] == "于":
            word = word[1] + "于"  # 营收高于预期: the comparison, not a close
        fam, pol = _LEXICON[word]
        if not pol:
            continue
        before = text[last : m.start()]
        if fam == "move" and _RATE_NOUNS.search(before):
            fam = "pace"
        out.append(Direction(word, fam, pol, m.end() - len(word), m.end() + (word != m.group(0))))
        if fam in ("move", "pace") and _AGAINST.search(before):
            out.append(Direction(word, "compare", pol, m.start(), m.end()))
        last = m.end()
    return out


def mask_directions(text: str) -> str:
    """Direction verbs blanked (so no bigram spans them); the nouns 涨幅 and 经济增长 stay."""
    assert _DIRECTION is not None
    return _DIRECTION.sub(
        lambda m: MASK * len(m.group(0)) if _LEXICON[m.group(0)][1] else m.group(0), text
    )


def strip_directions(text: str) -> str:
    assert _DIRECTION is not None
    return _DIRECTION.sub("", text)


def direction_conflicts(body: str, corpus: Corpus) -> list[str]:
    """Each direction word of a claim clause against the source clause that restates it and has a
    word of the same family: "甲醇期货领跌" is compared with "甲醇期货逆势领涨", never with another
    contract's "焦煤领跌"; a word the source itself uses in that place is never a contradiction."""
    out = []
    context = corpus.sentence_coverage(body)
    for clause in split_clauses(compact(normalize(body))):
        for d in directions(clause):
            src = corpus.best_clause(clause, context, singles=True, family=d.family)
            theirs = [t for t in src.dirs if t.family == d.family] if src else []
            if not theirs:
                continue
            left, right = squash(clause[: d.start])[::-1][:4], squash(clause[d.end :])[:4]

            def agree(
                t: Direction, src: SourceClause = src, left: str = left, right: str = right
            ) -> int:
                """How many characters of context around the word the claim and the source share."""
                sl, sr = squash(src.text[: t.start])[::-1][:4], squash(src.text[t.end :])[:4]
                return common_prefix(sl, left) + common_prefix(sr, right)

            best = max(agree(t) for t in theirs)
            top = [t for t in theirs if agree(t) == best]
            mine = _subject(clause, d)
            if all(_as_seen(t, src.text, mine) != d.polarity for t in top):
                out.append(
                    f"direction “{d.word}” contradicts the source’s “{top[0].word}”: {quote(src.text)}"
                )
    return list(dict.fromkeys(out))


def stance_conflict(claim: Claim, corpus: Corpus, rules: Rules) -> str | None:
    """对X：利多 where every source sentence that rates X calls it 利空 (and the other way round)."""
    if not claim.asset or not claim.stance:
        return None
    mine = {d.polarity for d in directions(claim.stance) if d.family == "stance"}
    if len(mine) != 1:
        return None
    names = {claim.asset.lower()} | {
        a.lower() for c in rules.entities_in(claim.asset) for a in [c, *rules.entities.get(c, [])]
    }
    seen: dict[int, str] = {}
    for _, sent, _ in corpus.sents:
        if any(n in compact(sent).lower() for n in names):
            for d in directions(sent):
                if d.family == "stance":
                    seen.setdefault(d.polarity, sent)
    if seen and not mine & set(seen):
        return f"stance “{claim.stance}” on {claim.asset} contradicts the source: {quote(next(iter(seen.values())))}"
    return None


def _subject(text: str, d: Direction) -> str:
    """The words a direction word moves: back to the previous direction word or clause start."""
    before = text[: d.start]
    cut = max([m.end() for m in _DIRECTION.finditer(before)] + [0]) if _DIRECTION else 0
    return before[cut:]


def _as_seen(t: Direction, text: str, subject: str) -> int:
    """A source direction's polarity as it applies to the claim's subject: "美元兑日元跌" is the
    yen rising, so for a claim about 日元 alone its polarity turns over."""
    theirs = _subject(text, t)
    if "兑" in theirs and "兑" not in subject:
        base, quote_ccy = theirs.split("兑")[0][-2:], theirs.split("兑")[-1][:2]
        if quote_ccy in subject and base not in subject:
            return -t.polarity
    return t.polarity


def breadth_conflicts(body: str, corpus: Corpus) -> list[str]:
    """ "全线收涨" (everything moved one way) where the source sentence it restates says the moves
    were mixed (涨跌互现, 分化) or moves both ways."""
    text = compact(normalize(body))
    if not any(d.family == "breadth" and d.polarity > 0 for d in directions(text)):
        return []
    cover = corpus.sentence_coverage(body)
    sid = max(cover, key=lambda i: cover[i], default=None)
    if sid is None or cover[sid] < 0.3:
        return []
    sent = corpus.sents[sid][1]
    theirs = directions(compact(normalize(sent)))
    mixed = [t for t in theirs if t.family == "breadth" and t.polarity < 0]
    moves = {t.polarity for t in theirs if t.family == "move"}
    if mixed or len(moves) > 1:
        said = f"“{mixed[0].word}”" if mixed else "moves both ways"
        return [f"“全线” where the source says {said}: {quote(sent)}"]
    return []
