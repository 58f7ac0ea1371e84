"""Who and what a claim names: canonical entities (rules.yaml aliases), names outside the alias
table found by a title or an institution suffix, and who a reported sentence is attributed to."""

from __future__ import annotations

import re

from briefing.grounding.corpus import Corpus
from briefing.grounding.text import compact, normalize, squash
from briefing.rules import Rules

# entity names that are concepts (checked as directions) or countries (named inside longer names)
CONCEPTS = {"降息", "加息", "关税", "购债", "通胀"}
COUNTRIES = {"中国", "美国", "日本"}
ASSETS = {"黄金", "原油", "美元", "日元", "人民币", "比特币", "欧元", "铜"}


def entity_ok(name: str, corpus: Corpus, rules: Rules) -> bool:
    if any(name in ents for ents in corpus.entities):
        return True
    if name in COUNTRIES:  # 日本 is named inside 日本央行
        aliases = [a for a in [name, *rules.entities.get(name, [])] if not a.isascii()]
        return any(squash(a) in text for a in aliases for text in corpus.squashed)
    return False


_SAYS = re.compile(r"认为|表示|指出|预计|预测|估计|强调|透露|警告|显示|称")


def speaker(text: str, rules: Rules) -> str | None:
    """Who a reported sentence is attributed to: the last entity before its first 表示/认为/预计…."""
    text = compact(normalize(text))
    m = _SAYS.search(text)
    if not m:
        return None
    names = [
        n
        for n, _ in rules.entity_mentions(text[: m.start()])
        if n not in CONCEPTS | ASSETS | COUNTRIES
    ]
    return names[-1] if names else None


# names outside the alias table: a person after a title (副总理诺瓦克表示), an institution by its
# suffix (上海清算所公布, 联想集团跌4.7%)
_TITLED = re.compile(
    r"(?:行长|主席|总裁|理事|大臣|副总理|总理|部长|首席经济学家|首席策略师|首席分析师|发言人|董事长|首席执行官|局长|署长|主任)"
    r"(?P<name>[\u4e00-\u9fff·・-]{2,12}?)(?=表示|称|认为|指出|预计|警告|强调|透露|说|在|周|于|，|、|：)"
)
_INSTITUTION = re.compile(
    r"(?P<name>[\u4e00-\u9fff]{2,10}?(?:交易所|清算所|研究院|研究所|委员会|管理局|统计局|能源署|信息署"
    r"|(?:拆借|交易|研究|清算|结算|信息)中心|银行|证券|基金|集团|公司|控股|股份))"
    r"(?=\d|表示|称|公布|发布|认为|指出|预计|数据|公告|宣布|的|，|、|首席|行长|副行长|董事长|总裁|主席|分析师"
    r"|股价|市值|收涨|收跌|上涨|下跌|大涨|大跌|涨|跌|报\d)"
)


def unknown_names(text: str, corpus: Corpus, rules: Rules) -> list[str]:
    """Names found by title or suffix that no source contains (whitespace and punctuation aside)."""
    out = []
    text = compact(normalize(text))
    for m in [*_TITLED.finditer(text), *_INSTITUTION.finditer(text)]:
        name = squash(m.group("name"))
        if rules.entities_in(name) or len(name) < 2:
            continue  # the alias table speaks for it
        # a title marks where a person's name starts; an institution's start is unknown, so any tail
        # of four or more characters (丰业银行 of 叠加丰业银行) may be the name a source uses
        tails = [name] if m.re is _TITLED else [name[i:] for i in range(len(name) - 3)] or [name]
        if not any(t in src for t in tails for src in corpus.squashed):
            out.append(m.group("name"))
    return out
