"""Reading the sources for the offline writer: which sentences say the most, which way the news goes.

Only Chinese text is used: offline there is no translator, so an English source contributes
nothing to the wording (its facts reach the report only when a Chinese source tells them too).
Each sentence gets roles by its wording — the decision and its size, the comparison with the
previous value or the expectation, a record or first, the market reaction, an opinion or a
disagreement, a date to watch — and a score from them; the writer places each sentence once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from briefing.models import Event, Item
from briefing.sanitize import is_instruction, md_inline, sentences

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# platform furniture that is not news (WeChat and portal feeds carry it in their summaries)
_BOILERPLATE = re.compile(
    r"点击(这里|此处|下方|阅读原文)|查看更多|关注我们|原标题|阅读原文|长按识别|扫码关注|来源[:：]|"
    r"本文由机器翻译|声明全文见|数据详见|详见|参见|责任编辑|免责声明"
)
_FIGURE = re.compile(
    r"\d+(?:\.\d+)?(?:\s*[-至~]\s*\d+(?:\.\d+)?)?\s*(?:%|个百分点|个基点|万亿|亿|万|美元|元|点|桶|吨|倍)"
)
ROLES: dict[str, re.Pattern[str]] = {
    "decision": re.compile(
        r"宣布|决定|下调|上调|降息|加息|维持|公布|发布|启动|批准|签署|通过|印发|同比(上涨|下降|增长)|"
        r"提高到|提高至|上调至|下调至|预计.{0,12}(将|把)|声明|要求|威胁|最后通牒|封锁"
    ),
    "previous": re.compile(
        r"前值|上月|上期|较前|比上月|较上月|此前|初值|修正|连续第?\d+|[由从].{1,12}(升|降|转|涨|跌|增|减)"
    ),
    "expectation": re.compile(r"预期|预计|调查|一致|市场普遍|定价"),
    "record": re.compile(r"新高|新低|最高|最低|首次|之最|以来|历史"),
    "market": re.compile(
        r"(?<!价格)指数|收涨|收跌|收盘|美元兑|汇率|收益率|股价|期货|金价|油价|盘中|报\d|涨\d|跌\d|"
        r"上涨\d|下跌\d|美元指数|日经|道指|标普"
    ),
    "opinion": re.compile(r"认为|表示|指出|警告|称|坚称|预测|估计|分析"),
    "contrast": re.compile(
        r"但|然而|不过|(?<!不会)(?<!不)反对|异议|分歧|争论|而.{0,12}(则|倾向)|另一方面"
    ),
    "watch": re.compile(r"将于|将在|定于|下次会议|下周|届时|计划于"),
}
_SUBJECTLESS = re.compile(r"^(此外|同时|其中|另外|与此同时|不过|但|而)[，,]?")
_DANGLING = re.compile(
    r"^(他|她|其|该行|该公司|此举|这一|这些|这是|上述|但|而|不过|然而|受此|对此|因此|此外|与此同时|同时)"
)

UP = [
    "上涨",
    "上升",
    "回升",
    "升至",
    "走高",
    "加快",
    "反弹",
    "新高",
    "提高",
    "上调",
    "加息",
    "增长",
    "大涨",
    "飙升",
    "走强",
    "扩大",
    "升",
]
DOWN = [
    "下降",
    "下跌",
    "回落",
    "降至",
    "放缓",
    "走低",
    "萎缩",
    "减少",
    "下调",
    "降息",
    "新低",
    "大跌",
    "走弱",
    "收窄",
    "跌",
    "降",
]
_ABOVE = re.compile(r"高于(市场)?(普遍)?预期|超(出)?(市场)?预期|好于(市场)?预期|强于(市场)?预期")
_BELOW = re.compile(
    r"低于(市场)?(普遍)?预期|不及(市场)?预期|弱于(市场)?预期|逊于(市场)?预期|不如(市场)?预期"
)
_VS_PREVIOUS = re.compile(
    r"(下降|下跌|减少|萎缩)?(-?\d+(?:\.\d+)?)%(?:[^。；\d]{0,12}?预期的?-?\d+(?:\.\d+)?%)?"
    r"[^。；\d]{0,16}?(?:前值|上月|上期)(?:为|是)?\s*(下降|-)?(\d+(?:\.\d+)?)%"
)


def is_chinese(text: str) -> bool:
    """Mostly Chinese: more CJK characters than Latin words (so 「美联储 FOMC 声明」 is, an English wire is not)."""
    cjk = len(_CJK.findall(text))
    return cjk >= 4 and cjk >= 2 * len(_LATIN_WORD.findall(text))


_UNIT_AFTER = "年月日时个万亿美元点桶吨倍家辆次周天基%"
# A currency code after a figure, as machine translation leaves it (「3 万亿USD」): the Chinese name.
_CURRENCY_CODE = re.compile(
    r"(\d(?:[\d,.]*\d)?(?:\s*(?:万亿|亿|万|千))?)\s*(USD|EUR|JPY|GBP)(?![A-Za-z/])"
)
_CURRENCY_NAME = {"USD": "美元", "EUR": "欧元", "JPY": "日元", "GBP": "英镑"}


def tidy(text: str, title: bool = False) -> str:
    """Machine-translated spacing folded (「提高到 0.75%」 → 「提高到0.75%」, 「12 月 18 日」 → 「12月18日」),
    and currency codes after a figure named (「约 3 万亿USD」 → 「约3万亿美元」).

    In a headline a space can separate clauses (「上涨3.1% 核心CPI…」, 「155.20 交易员…」), so
    there only a space before a unit (月, 个, %…) is folded after a figure.
    """
    text = re.sub(
        r"(?<=[\u4e00-\u9fff])[ \t]+(?=\d)"
        if title
        else r"(?<=[\u4e00-\u9fff])[ \t]+(?=[\dA-Za-z])",
        "",
        text,
    )
    if title:
        text = re.sub(rf"(?<=\d)[ \t]+(?=[{_UNIT_AFTER}])", "", text)
    else:
        text = re.sub(r"(?<=[\dA-Za-z%])[ \t]+(?=[\u4e00-\u9fff%])", "", text)
    if is_chinese(text):  # 「2000亿USD」 in Chinese; 「1.27 USD」 in English stays
        text = _CURRENCY_CODE.sub(lambda m: m.group(1) + _CURRENCY_NAME[m.group(2)], text)
    return text.strip()


# 「30 年」「384 万桶」: spacing a translation left, not typesetting
_MT_SPACING = re.compile(r"\d[ \t]+[\u4e00-\u9fff%]")
# a space between two runs of Chinese: after a CJK character or a figure written right after one
# (「报7.0686 调升」, not 「GPT-5.2 模型」), before a CJK character or a figure that a CJK character
# or % ends (「收涨 30年期」, not 「1 000亿元」 or 「茅台 600519.SH」)
_GAP = re.compile(
    r"(?<=[\u4e00-\u9fff%\d])[ \t\u3000]+(?=[\u4e00-\u9fff])"
    r"|(?<=[\u4e00-\u9fff%])[ \t\u3000]+(?=\d[\d.,]*(?:%|[\u4e00-\u9fff]))"
)
_PUNCT = "，。；：！？、,;:!?（）()《》“”\"'"


def _clause_break(text: str) -> str:
    """The spaces of a headline made commas when each parts two clauses of four characters or more
    (「维持利率0%不变 称必要时干预」, 「登陆科创板 首日收涨268% 市值突破900亿元」); a headline spaced
    word by word (「港股 恒指 收涨1.2%」, 「比特币 跌破9万美元」) keeps them all."""
    gaps = [m for m in _GAP.finditer(text) if _after_cjk(text, m.start())]
    if not gaps:
        return text
    cuts = [0, *(x for m in gaps for x in (m.start(), m.end())), len(text)]
    sides = [text[a:b] for a, b in zip(cuts[::2], cuts[1::2], strict=True)]
    for k, gap in enumerate(gaps):
        left = re.split(rf"[{_PUNCT}\s]", sides[k])[-1]
        right = re.split(rf"[{_PUNCT}\s]", sides[k + 1])[0]
        # before a figure, a clause must say more than the figure (「增加 6.4万人」 is one clause)
        least = 8 if text[gap.end() : gap.end() + 1].isdigit() else 4
        if len(left) < 4 or len(right) < least:
            return text
    return "，".join(sides)


def _after_cjk(text: str, at: int) -> bool:
    """Whether the run before `at` is Chinese: a CJK character, or a figure written right after one."""
    k = at
    while k > 0 and (text[k - 1].isdigit() or text[k - 1] in ".,%"):
        k -= 1
    return k > 0 and bool(_CJK.match(text[k - 1]))


def headline_line(title: str) -> str:
    """A headline as a `## 一般事件` line, in the style of the rest of the report: machine-translated
    spacing folded (「2026 年」 → 「2026年」, 「每日 384 万桶」 → 「每日384万桶」), the one space that
    parts two clauses made a comma (「维持利率不变 称必要时干预」 → 「维持利率不变，称必要时干预」,
    「全线收涨 30年期合约涨0.52%」 → 「全线收涨，30年期合约涨0.52%」), currency codes named.
    Latin words keep their spaces (「OpenAI 推出 GPT-5.2」), and so does a headline spaced word by word."""
    if not _MT_SPACING.search(title):  # a portal's headline: its one space parts two clauses
        title = _clause_break(title)
    return _clause_break(tidy(title, title=True))


@dataclass
class Fact:
    """One source sentence with what it does in the story."""

    item: Item
    text: str
    order: int
    roles: set[str] = field(default_factory=set)
    figures: int = 0

    @property
    def dangling(self) -> bool:
        """Starts with 他/其/这些…: readable only right after the sentence it points back to."""
        return bool(_DANGLING.match(self.text))

    @property
    def score(self) -> float:
        weights = {
            "decision": 3,
            "previous": 2,
            "expectation": 2,
            "record": 2,
            "market": 1.5,
            "contrast": 1.5,
            "opinion": 0.5,
        }
        s = sum(weights.get(r, 0) for r in self.roles) + min(self.figures, 3)
        return s - (2 if _SUBJECTLESS.match(self.text) else 0)


def _bigrams(s: str) -> set[str]:
    s = re.sub(r"\s+", "", s)
    return {s[i : i + 2] for i in range(len(s) - 1)}


def adds(text: str, said: list[str], threshold: float = 0.45) -> bool:
    """Says something the `said` sentences do not: a figure not yet given, or else other words."""
    own = figures(text)
    new_figures = own - set().union(*map(figures, said)) if said else own
    if own and 2 * len(new_figures) < len(own):  # mostly figures already given: a retelling
        return False
    if new_figures:
        return not any(similar(text, s) for s in said)
    return not any(similar(text, s, threshold) or same_phrase(text, s) for s in said)


def similar(a: str, b: str, threshold: float = 0.6) -> bool:
    """Near-repeats (the same wire sentence in two outlets): most character pairs shared."""
    x, y = _bigrams(a), _bigrams(b)
    return bool(x and y) and len(x & y) / min(len(x), len(y)) >= threshold


def same_phrase(a: str, b: str, size: int = 8) -> bool:
    """One long Chinese phrase in both (「与货币政策立场无关」): the same point, told twice."""
    x, y = _bigrams(a), _bigrams(b)
    if len(x & y) < size - 1:  # no shared run of `size` characters is possible
        return False
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size >= size and bool(_CJK.search(a[m.a : m.a + m.size]))


def figures(text: str) -> set[str]:
    """The figures a sentence states, spacing folded: {'0.7%', '25个基点'}."""
    return {re.sub(r"\s+", "", m.group(0)) for m in _FIGURE.finditer(text)}


MAX_ITEMS = 12  # rank puts a story's best sources first; a long running story is read from these


def facts(event: Event) -> list[Fact]:
    """Each informative Chinese source sentence once, in source order; orders to a model, boilerplate and near-repeats left out."""
    out: list[Fact] = []
    for item in event.items[:MAX_ITEMS]:
        for raw in _merge_semicolons(sentences(item.summary)):
            s = tidy(raw)
            if len(s) < 10 or not is_chinese(s) or is_instruction(s) or _BOILERPLATE.search(s):
                continue
            if any(similar(s, f.text) for f in out) or not adds(
                s, [f.text for f in out if same_phrase(s, f.text)]
            ):
                continue
            roles = {name for name, p in ROLES.items() if p.search(s)}
            out.append(Fact(item, md_inline(s), len(out), roles, len(_FIGURE.findall(s))))
    return out


def _merge_semicolons(parts: list[str]) -> list[str]:
    """「…；但…」 is one sentence to a reader: clauses joined by a semicolon stay together."""
    out: list[str] = []
    for p in parts:
        if out and out[-1].endswith(("；", ";")):
            out[-1] += p
        else:
            out.append(p)
    return out


def chinese_titles(event: Event) -> list[str]:
    return [
        tidy(i.title, title=True)
        for i in event.items
        if is_chinese(i.title) and not is_instruction(i.title)
    ]


def _first_word(text: str, words: list[str]) -> int:
    hits = [text.find(w) for w in words if w in text]
    return min(hits) if hits else -1


def _chinese_text(event: Event) -> str:
    return "\n".join(
        tidy(f"{i.title}。{i.summary}") for i in event.items if is_chinese(i.title + i.summary)
    )


def vs_previous(event: Event) -> str | None:
    """Up or down against the previous value, when a source states both (「0.7%，前值为0.2%」)."""
    for m in _VS_PREVIOUS.finditer(_chinese_text(event)):
        now = float(m.group(2)) * (-1 if m.group(1) else 1)
        before = float(m.group(4)) * (-1 if m.group(3) else 1)
        if now != before:
            return "up" if now > before else "down"
    return None


def direction(event: Event, rises: list[str] = (), falls: list[str] = ()) -> str | None:
    """Which way the event's figure moved: against the previous value when a source gives it, else by the headlines' first direction word."""
    if moved := vs_previous(event):
        return moved
    text = _chinese_text(event)
    votes = {"up": 0, "down": 0}
    for title in chinese_titles(event) or [text]:
        up, down = _first_word(title, [*rises, *UP]), _first_word(title, [*falls, *DOWN])
        if up >= 0 and (down < 0 or up < down):
            votes["up"] += 1
        elif down >= 0:
            votes["down"] += 1
    if votes["up"] == votes["down"]:
        return None
    return "up" if votes["up"] > votes["down"] else "down"


def surprise(event: Event) -> str | None:
    """Above or below expectations, by the sources' Chinese wording; None when they do not say or disagree."""
    text = _chinese_text(event)
    above, below = len(_ABOVE.findall(text)), len(_BELOW.findall(text))
    if above == below:
        return None
    return "above" if above > below else "below"


# -- what to watch next ------------------------------------------------------------------------

_WATCH = re.compile(
    r"(?P<who>[\u4e00-\u9fffA-Za-z0-9+（）()]{0,16}?)(?:将于|将在|定于|计划于)"
    r"(?P<when>\d{1,2}月\d{1,2}日(?:至\d{1,2}日)?|\d{1,2}日|下周[一二三四五六日]?|本周[一二三四五六日]?)"
    r"(?P<rest>[^，。；]{0,40})"
)
_WHO_TRIM = re.compile(r"^.*?(?:预计|显示|表示|认为|称|据悉|目前|此外|同时|另外)")
_NOUN_END = re.compile(r"(会议|数据|预测|报告|决议|讲话|财报|报价|窗口)")


def watch_points(fs: list[Fact]) -> list[str]:
    """Dated next steps the sources name (a meeting, a release), as noun phrases: 「美联储3月17日至18日召开的议息会议」."""
    out: list[str] = []
    for f in fs:
        for m in _WATCH.finditer(f.text):
            who = _WHO_TRIM.sub("", m.group("who")).strip("，, ")
            when, rest = m.group("when"), m.group("rest")
            end = _NOUN_END.search(rest)
            if end:
                rest = rest[: end.end()]
                verb = re.match(r"(召开|举行|公布|发布|开启)", rest)
                phrase = (
                    f"{who}{when}{verb.group(1)}的{rest[verb.end() :]}"
                    if verb and len(rest) > 2
                    else f"{who}{when}{rest}"
                )
            elif re.match(r"(公布|发布)$", rest.strip()):
                phrase = f"{when}{rest.strip()}的{who}"
            else:
                continue
            phrase = phrase.replace("的的", "的")
            if phrase not in out and len(phrase) <= 40:
                out.append(phrase)
    return out


def levels(fs: list[Fact], names: list[str]) -> list[str]:
    """A market level the sources give for one of `names`: 「美元兑日元155.20」."""
    out: list[str] = []
    for name in names:
        for f in fs:
            m = re.search(
                re.escape(name) + r"[^，。；]{0,16}?(?:至|报|为)(\d+(?:\.\d+)?%?)", f.text
            )
            if m and not re.search(r"^\s*(个基点|个百分点)", f.text[m.end() : m.end() + 4]):
                out.append(f"{name}{m.group(1)}")
                break
        if out:
            break
    return out


# -- titles ------------------------------------------------------------------------------------

_ATTRIBUTION = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,8}[：:]")
_CLAUSES = re.compile(r"[：:，,；;|｜]|\s+")
_RECORD = re.compile(r"新高|新低|最高|最低|首次|以来")
_ACTION = re.compile(
    r"降息|加息|上调|下调|提高到|提高至|降至|升至|上涨|下降|增长|大涨|大跌|宣布|启动|购买|维持|遇袭|封锁|突破"
)
TITLE_MAX = 30
_COUNTRIES = {"中国", "美国", "日本", "欧洲", "欧元区", "英国", "德国"}


def _clauses(title: str, actor: re.Pattern[str] | None = None) -> list[str]:
    """A headline's clauses; an attribution (「国家统计局：」) dropped unless it names the actor."""
    title = re.sub(r"[：:；;，,][^：:；;，,]*[？?]\s*$", "", title)  # 「…：这是“隐形QE”吗？」
    m = _ATTRIBUTION.match(title)
    if m and re.search(r"\d", title[m.end() :]) and not (actor and actor.search(m.group(0))):
        title = title[m.end() :]
    return [c for c in _CLAUSES.split(title) if len(c) >= 4 and not re.search(r"[？?]|吗$", c)]


def _clause_score(c: str, entities: list[str]) -> float:
    figs = len(_FIGURE.findall(c))
    return (
        2 * bool(figs)
        + 0.5 * min(figs, 2)
        + 2 * bool(_ACTION.search(c))
        + bool(_RECORD.search(c))
        + bool(any(c.startswith(e) for e in entities if e not in _COUNTRIES))
        - (len(c) > TITLE_MAX) * 3
    )


def compose_title(
    event: Event,
    entities: list[str],
    fs: list[Fact] = (),
    action: re.Pattern[str] | None = None,
    actor: re.Pattern[str] | None = None,
) -> str:
    """The decisive fact with its figure, at most TITLE_MAX characters, from the Chinese headlines' clauses.

    The best clause (a figure, a decision verb, a record, the actor first) leads; a second clause
    of the same headline joins when it adds a figure or a record and the title still fits; a
    clause without a figure borrows the shortest figure clause of another headline.
    """
    titles = chinese_titles(event)
    if not titles:
        return md_inline(tidy(event.title))
    scored = [
        (_clause_score(c, entities) + 2.5 * bool(action and action.search(c)), -k, c, t)
        for k, t in enumerate(titles)
        for c in _clauses(t, actor)
    ]
    if not scored:
        return md_inline(titles[0][:TITLE_MAX])
    best = max(scored)
    lead, own = best[2], best[3]
    parts = _clauses(own, actor)
    whole = "，".join(parts)
    if _FIGURE.search(whole) and len(whole) <= TITLE_MAX:  # the headline fits as it is
        return md_inline(whole)
    if parts[0] != lead and len(parts[0]) + 1 + len(lead) <= TITLE_MAX:
        sep = "：" if re.search(re.escape(parts[0]) + r"\s*[：:]", own) else "，"
        lead = f"{parts[0]}{sep}{lead}"  # the headline's first clause names its subject
    extra = [c for c in parts if c not in lead and (_FIGURE.search(c) or _RECORD.search(c))]
    if not _FIGURE.search(lead):
        extra = sorted((c for _, _, c, _ in scored if _FIGURE.search(c)), key=len)[:1]
    if not _FIGURE.search(lead) and not any(_FIGURE.search(c) for c in extra):
        # no headline has a figure: take one from the sources' sentences
        room = TITLE_MAX - len(lead) - 1
        told = [
            c
            for f in fs
            for c in re.split(r"[，,；;：:]", f.text.rstrip("。"))
            if _FIGURE.search(c) and re.search(r"[涨跌升降增减]|至", c) and len(c) <= room
        ]
        extra = sorted(told, key=lambda c: (-len(_bigrams(c) & _bigrams(lead)), len(c)))[:1]
    for c in extra:
        if c not in lead and len(lead) + 1 + len(c) <= TITLE_MAX:
            lead = f"{lead}，{c}"
    return md_inline(lead)
