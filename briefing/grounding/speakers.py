"""Who said it: names learned from the sources themselves, and a claim's speaker against the source's.

The alias table (rules.yaml) knows central banks and big firms; the sources name many more people,
brokers and research houses. Names are learned from how Chinese financial text introduces them:

    a transliterated name          保罗·阿什沃斯 (and its parts: 阿什沃斯)
    a name glossed in Latin        凯投宏观 (Capital Economics), 荷兰国际集团 (ING) — both forms
    the name right before a title  五矿期货有色金属首席分析师 → 五矿期货有色金属; 南华期货研究员 → 南华期货
    the name right after a title   首席分析师吴坤金表示 → 吴坤金
    an institution by its suffix   巴克莱银行, 中信建投证券, 五矿期货

A claim "X 表示/认为/预计…，Y" is checked by finding the source sentence that states Y and the
speaker phrase of that sentence (the words before its own 表示/认为…): every name of the claim's
speaker phrase must be in it. A source phrase that is a pronoun (他说) names nobody and is not
compared. A claim that names someone doing something without a reporting verb (休·皮尔投下了关键的
决定票) is checked the same way against the source clause that states the act.
"""

from __future__ import annotations

import re
from functools import lru_cache

from briefing.grounding.corpus import Corpus
from briefing.grounding.text import bigrams, compact, normalize, quote, squash
from briefing.rules import Rules

SAYS = re.compile(r"认为|表示|指出|预计|预测|估计|强调|透露|警告|称|说|坦言|提到|显示|欢迎")
TITLE = re.compile(
    r"首席(?:北美|全球|中国|亚洲|欧洲|美国|英国)?(?:经济学家|分析师|策略师|执行官|投资官)?|(?:英国|美国|中国|欧洲)?经济学家"
    r"|分析师|策略师|研究员|分析人士|副?行长|副?主席|总裁|理事|外部委员|委员|财政大臣|大臣|首相|副?总理|部长"
    r"|主任|所长|院长|局长|署长|发言人|董事长|总经理|负责人|秘书长|副?会长"
)
_CJK = r"\u4e00-\u9fff"
_DOT = re.compile(rf"[{_CJK}]{{1,4}}(?:[·・][{_CJK}]{{1,6}})+")
_GLOSS = re.compile(rf"([{_CJK}]{{2,12}})\s*[(（]\s*([A-Za-z][A-Za-z .&'-]{{0,40}}?)\s*[)）]")
_AFTER_TITLE = re.compile(
    rf"\|([{_CJK}]{{2,4}}?)(?=表示|称|认为|指出|预计|警告|强调|透露|说|欢迎|坦言|在|周|于|此前|曾|则|也|，|、|：|$)"
)
_BEFORE_TITLE = re.compile(rf"([{_CJK}A-Za-z]{{2,12}})(?:的)?\|")
_SUFFIX = re.compile(
    rf"[{_CJK}]{{2,8}}?(?:银行|证券|期货|基金|集团|资本|研究院|研究所|交易所|统计局|委员会|宏观)"
    rf"(?=[^{_CJK}]|表示|称|认为|指出|预计|则|的|分析师|研究员|经济学家|首席|$)"
)
_PRONOUN = re.compile(r"^(?:他|她|其|该|他们|她们|对方|此|这)")
_NOT_NAMES = {
    "英国",
    "美国",
    "中国",
    "日本",
    "欧洲",
    "北美",
    "全球",
    "亚洲",
    "数据",
    "报告",
    "市场",
}


def _detitled(text: str) -> str:
    return TITLE.sub("|", text)


def names_in(text: str, *, strict: bool = False, parts: bool = False) -> set[str]:
    """Name-like spans of one text (compacted), by the patterns of the module docstring; `strict`
    leaves out the words before a title, which are a name only most of the time (不及分析师预期);
    `parts` adds each part of a transliterated name (a source's 保罗·阿什沃斯 is later 阿什沃斯)."""
    text = compact(normalize(text))
    plain = _detitled(text)
    out: set[str] = set()
    for m in _DOT.finditer(plain):
        out.add(m.group(0))
        if parts:
            out.update(p for p in re.split(r"[·・]", m.group(0)) if len(p) >= 2)
    for m in _GLOSS.finditer(plain):
        out.add(m.group(1))
        if len(m.group(2)) >= 2:
            out.add(m.group(2).strip())
    out.update(m.group(1) for m in _AFTER_TITLE.finditer(plain))
    if not strict:
        out.update(m.group(1) for m in _BEFORE_TITLE.finditer(plain))
    out.update(m.group(0) for m in _SUFFIX.finditer(text))
    return {n for n in out if len(n) >= 2 and n not in _NOT_NAMES}


@lru_cache(maxsize=4)
def _learned(key: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n for text in key for n in names_in(text, parts=True))


def learned(corpus: Corpus) -> frozenset[str]:
    """Every name the sources introduce (cached per set of source texts)."""
    return _learned(tuple(s.text for s in corpus.sources))


def _key(name: str) -> str:
    """What must appear where a name is compared. A transliterated name is read off the text with
    an unknown start and end (的詹姆斯·史密斯预计), so its key is the two characters either side of
    the dot (姆斯史密); any other name is itself."""
    parts = re.split(r"[·・]", name)
    if len(parts) > 1:
        return squash(parts[-2][-2:] + parts[-1][:2])
    return squash(name)


def claim_names(phrase: str, corpus: Corpus, rules: Rules, skip: set[str]) -> list[str]:
    """The names in a claim's speaker phrase: alias entities, learned names, and name-like spans
    that no learned name covers."""
    found = {n for n in rules.entities_in(phrase) if n not in skip}
    low = squash(phrase)
    hits = {n for n in learned(corpus) if _key(n) and _key(n) in low and not rules.entities_in(n)}
    for n in names_in(phrase):
        if not rules.entities_in(n) and not any(
            _key(m) in squash(n) or _key(n) in squash(m) for m in hits
        ):
            found.add(n)
    found |= hits
    # keep the longest: 保罗·阿什沃斯 over 阿什沃斯, 荷兰国际集团 over 国际集团
    return sorted(n for n in found if not any(n != m and squash(n) in squash(m) for m in found))


def _named(name: str, phrase: str, rules: Rules | None) -> bool:
    """Whether a phrase names `name`: by alias, by its last part (阿什沃斯), or — for a name read off
    a title (沙特能源大臣 → 沙特能源) — by every two characters of it (沙特阿拉伯能源大臣)."""
    if rules is not None and name in rules.entities and name in rules.entities_in(phrase):
        return True
    key, low = _key(name), squash(phrase)
    if key in low:
        return True
    chunks = [key[i : i + 2] for i in range(0, len(key) - 1, 2)]
    return len(chunks) >= 2 and all(c in low for c in chunks)


def unknown(name: str, corpus: Corpus) -> bool:
    """A name no source has, in any of the ways `_named` accepts."""
    return not any(_named(name, text, None) for text in corpus.squashed)


def _source_phrase(sent: str, content: str) -> str | None:
    """The speaker phrase of the source sentence that states `content`: the words before the last
    reporting verb ahead of the clause that best matches the content, within that verb's clause."""
    text = compact(normalize(sent))
    want = bigrams(content)
    starts = [0] + [m.end() for m in re.finditer(r"[，；：,]", text)]
    spans = list(zip(starts, [*starts[1:], len(text)], strict=True))
    anchor = max(spans, key=lambda s: len(want & bigrams(text[s[0] : s[1]])))[0]
    verbs = [m for m in SAYS.finditer(text) if m.start() <= anchor + 1]
    if not verbs:
        return None
    verb = verbs[-1]
    start = max([text.rfind(p, 0, verb.start()) for p in "，；：。"] + [-1]) + 1
    phrase = text[start : verb.start()]
    return None if not phrase or _PRONOUN.match(phrase) else phrase


def speaker_conflicts(body: str, corpus: Corpus, rules: Rules, skip: set[str]) -> list[str]:
    """A statement attributed to someone the source sentence that states it does not name."""
    text = compact(normalize(body))
    m = SAYS.search(text)
    if m is None:
        return []
    phrase, content = text[: m.start()], text[m.end() :].lstrip("，：:,")
    phrase = phrase[max([phrase.rfind(p) for p in "，；："] + [-1]) + 1 :]
    names = claim_names(phrase, corpus, rules, skip)
    if not names or len(content) < 4:
        return []
    cover = corpus.sentence_coverage(content)
    sid = max(cover, key=lambda i: cover[i], default=None)
    if sid is None or cover[sid] < 0.5:
        return []
    sent = corpus.sents[sid][1]
    theirs = _source_phrase(sent, content)
    if theirs is None or not (claim_names(theirs, corpus, rules, skip) or names_in(theirs)):
        return []
    missing = [n for n in names if not _named(n, theirs, rules)]
    if not missing:
        return []
    return [
        f"attributed to {'、'.join(missing)}, but the source attributes it to “{theirs}”: {quote(sent)}"
    ]


def actor_conflicts(body: str, corpus: Corpus, rules: Rules, skip: set[str]) -> list[str]:
    """Someone named doing what the source says someone else did (休·皮尔投下了决定票 where the
    source says 贝利 did): checked only for claims without a reporting verb."""
    text = compact(normalize(body))
    if SAYS.search(text):
        return []
    clause = re.split(r"[，；：。,]", text)[0]
    names = [n for n in claim_names(clause, corpus, rules, skip) if n in learned(corpus)]
    if not names:
        return []
    src = corpus.best_clause(clause, corpus.sentence_coverage(body), singles=True)
    if src is None:
        return []
    around = src.prefix[-30:] + "，" + src.text
    theirs = [n for n in names_in(src.text) if n in learned(corpus)]
    if not theirs or _PRONOUN.match(src.text) or any(_named(n, around, rules) for n in names):
        return []
    return [f"{'、'.join(names)} named, but the source says {theirs[0]}: {quote(src.text)}"]
