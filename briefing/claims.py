"""A report body split into claims, and the deterministic checks of one claim against the sources.

What is a claim (and why):

- summary and 深度解读 paragraphs: one claim per sentence (。！？；), list markers and bold removed;
- each `- **对X**：立场。理由` bullet of 影响: one claim, with its asset and stance kept apart;
- each `> 投资启示：…` line: one claim;
- each line under `## 一般事件`: one claim (a headline still states that something happened).

Not claims: front matter, headings (the headline and event titles restate the summary), `---`,
`事件时间：` lines (the time comes from the feed's metadata, which no source text carries), a
sentence that only leads into a list (ends with ：), and the offline writer's provenance line
(本事件由N个来源报道…), which describes the report rather than the world.

How a claim is checked (check_claim):

    numbers    same value AND unit in the passages the claim restates (facts) or any source (opinion)
    dates      年月日 / 月日 / ISO; every field the claim writes must match
    clause     a number or date where the source clause it restates has a different one
    subject    a number the sources state for something else (M2's 8.2% written as 社融's 8.5%)
    codes      GPT-5.2, M2: must appear in some source
    entities   canonical names (rules.yaml aliases) some source names; who said it (X表示) must match
    direction  涨↔跌, 上调↔下调, 加息↔降息, 高于↔低于 against the source clause it restates
    stance     对X：利多 where the sources call X 利空
    coverage   share of character bigrams found in the best passage (facts only)

Facts are the summary, 一般事件, and 深度解读 sentences that report (a number, a date, a code, a
reporting verb such as 宣布/表示/显示, or an attribution X认为). Opinion — 影响 bullets, 投资启示,
analysis sentences — gets every check but coverage and locality: its numbers, dates, codes and
entities must still be traceable and its directions must not contradict a source, but an opinion
with nothing checkable is `supported` ("opinion: nothing checkable"): the sources can neither back
nor refute it, and it is not a factual failure. Asset names (美元, 黄金…) in an opinion are its
subject, not a fact. A flipped direction or stance makes the verdict `contradicted`; any other
failure makes it `unsupported`.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from briefing.facts import (
    Corpus,
    DateRef,
    Direction,
    Facts,
    Quantity,
    SourceClause,
    compact,
    directions,
    extract,
    normalize,
    number_windows,
    split_clauses,
    squash,
    subject_features,
)
from briefing.rules import Rules
from briefing.sanitize import sentences

ClaimSection = Literal["summary", "insight", "impact", "takeaway", "general"]


class Claim(BaseModel):
    text: str  # as the reader sees it, Markdown removed
    section: ClaimSection
    body: str  # what is checked: the text without the 对X：/投资启示： label
    asset: str | None = None  # impact bullets: X of 对X
    stance: str | None = None  # impact bullets: 利多 / 短期利空 / …

    @property
    def opinion(self) -> bool:
        return self.section in ("impact", "takeaway")


_FRONT = re.compile(r"\A\ufeff?---\r?\n.*?\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TIME = re.compile(r"^\s*事件时间\s*[：:]")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_TAKEAWAY = re.compile(r"^投资启示\s*[：:]\s*(.*)$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,2}[.、)）])\s+(.*)$")
_IMPACT = re.compile(r"^对(.{1,16}?)\s*[：:]\s*(.*)$")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`|~~)")
_META = re.compile(r"^本事件由\s*\d+\s*个来源报道")
_STANCE = re.compile(
    r"^(.{0,8}?(?:利多|利空|利好|中性|分化|支撑|承压|偏多|偏空|看多|看空|中立|震荡|波动)[^。，,]{0,4})[。.]\s*(.*)$"
)


def plain(text: str) -> str:
    """Inline Markdown removed: links keep their text, emphasis and escapes go."""
    text = _LINK.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    return re.sub(r"\\([\\`*_\[\]<>|#~>-])", r"\1", text).strip()


def _sentences(text: str, section: ClaimSection) -> list[Claim]:
    out = []
    for s in sentences(text):
        s = s.strip()
        if not s or _META.match(s) or s.endswith(("：", ":")):
            continue
        out.append(Claim(text=s, section=section, body=s))
    return out


def split_claims(markdown: str) -> list[Claim]:
    """The claims of a rendered report (or any Markdown in its shape), in reading order."""
    text = _FRONT.sub("", markdown.replace("\r\n", "\n"), count=1)
    section: ClaimSection = "summary"
    out: list[Claim] = []
    for raw in text.split("\n"):
        line = raw.rstrip()
        if not line.strip() or _RULE.match(line) or _TIME.match(line):
            continue
        if h := _HEADING.match(line):
            title = h.group(1)
            section = (
                "insight" if title.startswith("深度解读")
                else "impact" if title.startswith("影响")
                else "general" if title.startswith("一般事件")
                else "summary"
            )  # fmt: skip
            continue
        quoted = bool(_QUOTE.match(line))
        line = plain(_QUOTE.sub("", line) if quoted else line)
        if t := _TAKEAWAY.match(line):
            out.append(Claim(text=line, section="takeaway", body=t.group(1)))
            continue
        bullet = _BULLET.match(line)
        if bullet:
            line = bullet.group(1).strip()
        if section == "general":
            if line:
                out.append(Claim(text=line, section="general", body=line))
            continue
        if bullet and (m := _IMPACT.match(line)) and (section == "impact" or not quoted):
            asset, rest = m.group(1).strip(), m.group(2).strip()
            stance, body = "", rest
            if s := _STANCE.match(rest):
                stance, body = s.group(1).strip(), s.group(2).strip()
            out.append(
                Claim(
                    text=line,
                    section="impact",
                    body=body or rest,
                    asset=asset,
                    stance=stance or None,
                )
            )
            continue
        out.extend(_sentences(line, "insight" if section == "impact" else section))
    return out


# a fact whose best passage shares less than this share of its character bigrams is not backed
COVERAGE_MIN = 0.4
# entity names that are concepts (checked as directions) or countries (named inside longer names)
CONCEPTS = {"降息", "加息", "关税", "购债", "通胀"}
COUNTRIES = {"中国", "美国", "日本"}
ASSETS = {"黄金", "原油", "美元", "日元", "人民币", "比特币", "欧元", "铜"}
_REPORTING = (
    "宣布",
    "公布",
    "发布",
    "表示",
    "显示",
    "称",
    "指出",
    "透露",
    "强调",
    "批准",
    "签署",
    "通过",
    "决定",
    "报告",
)


Verdict = Literal["supported", "unsupported", "contradicted"]


class ClaimVerdict(BaseModel):
    text: str
    verdict: Verdict
    reasons: list[str] = Field(default_factory=list)
    evidence: str | None = None  # the best source passage, or the judge's verified quote
    kind: list[str] = Field(
        default_factory=list
    )  # what failed: number, date, entity, direction, coverage, judge
    section: str = "summary"
    opinion: bool = False  # judged as opinion (module docstring), so never sent to the LLM judge


# -- the checks ------------------------------------------------------------------------------------


def _number_ok(q: Quantity, pool: list[Quantity], years: set[int]) -> bool:
    """Same value and unit; a number written without a unit only needs the same number."""
    for s in pool:
        if q.unit:
            if s.value == q.value and q.same_unit(s):
                return True
        elif s.value == q.value or (q.magnitude == 1 and s.raw == q.raw):
            return True
    return (
        not q.unit
        and q.magnitude == 1
        and q.raw == q.raw.to_integral_value()
        and int(q.raw) in years
    )


def _number_hint(q: Quantity, corpus: Corpus) -> str:
    other_unit = [
        s.text
        for s in corpus.all_quantities
        if s.raw == q.raw and (not q.same_unit(s) or s.magnitude != q.magnitude)
    ]
    if other_unit:  # 0.5个百分点 for 0.5%, 12.11万亿元 for 12.11亿元
        return f"; the sources have {q.raw.normalize():f} only as {_quote(other_unit[0])}"
    same_unit = [s for s in corpus.all_quantities if q.unit and q.same_unit(s) and s.value]
    if same_unit:
        near = min(
            same_unit, key=lambda s: abs(s.value - q.value) / max(abs(s.value), abs(q.value))
        )
        return f"; nearest in the sources: {_quote(near.text)}"
    return ""


def _date_ok(d: DateRef, pools: list[tuple[list[DateRef], set[int], set[int]]]) -> bool:
    """Every field the claim writes must match; a field the source leaves out (12月12日 without a year)
    matches only when that same source names the claim's value elsewhere (2025年…)."""
    for dates, years, months in pools:
        for s in dates:
            if all(
                want is None or got == want or (got is None and want in pool)
                for want, got, pool in (
                    (d.year, s.year, years),
                    (d.month, s.month, months),
                    (d.day, s.day, set()),
                )
            ):
                return True
    return False


def _date_pool(
    corpus: Corpus, sent_ids: list[int] | None = None
) -> list[tuple[list[DateRef], set[int], set[int]]]:
    def fields(f: Facts) -> tuple[set[int], set[int]]:
        return {x.year for x in f.dates if x.year}, {x.month for x in f.dates if x.month}

    if sent_ids is None:
        return [(f.dates, *fields(f)) for f in corpus.facts]
    return [
        (corpus.sentence_facts(i).dates, *fields(corpus.facts[corpus.sents[i][0]]))
        for i in sent_ids
    ]


def _quote(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def _entity_ok(name: str, corpus: Corpus, rules: Rules) -> bool:
    if any(name in ents for ents in corpus.entities):
        return True
    if name in COUNTRIES:  # 日本 is named inside 日本央行
        aliases = [a for a in [name, *rules.entities.get(name, [])] if not a.isascii()]
        return any(squash(a) in text for a in aliases for text in corpus.squashed)
    return False


_SAYS = re.compile(r"认为|表示|指出|预计|预测|估计|强调|透露|警告|显示|称")


def _speaker(text: str, rules: Rules) -> str | None:
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


def _direction_conflicts(body: str, corpus: Corpus) -> list[str]:
    """Direction words of each claim clause against the source clause it restates."""
    out = []
    context = corpus.sentence_coverage(body)
    for clause in split_clauses(compact(normalize(body))):
        mine = directions(clause)
        src = corpus.best_clause(clause, context) if mine else None
        for d in mine if src else []:
            theirs = [t for t in src.dirs if t.family == d.family]
            if not theirs:
                continue
            left, right = squash(clause[: d.start])[::-1][:4], squash(clause[d.end :])[:4]

            def agree(
                t: Direction, src: SourceClause = src, left: str = left, right: str = right
            ) -> int:
                """How many characters of context around the word the claim and the source share."""
                sl, sr = squash(src.text[: t.start])[::-1][:4], squash(src.text[t.end :])[:4]
                return _prefix(sl, left) + _prefix(sr, right)

            best = max(agree(t) for t in theirs)
            top = [t for t in theirs if agree(t) == best]
            if all(t.polarity != d.polarity for t in top):
                out.append(
                    f"direction “{d.word}” contradicts the source’s “{top[0].word}”: {_quote(src.text)}"
                )
    return out


def _clause_conflicts(body: str, corpus: Corpus, rules: Rules) -> list[tuple[str, str, str]]:
    """A number or date of a claim clause where the source clause it restates has another one
    (核心通胀率为2.1% where the source says 核心通胀率为2.4% and 2.1% elsewhere in the sentence)."""
    out = []
    context = corpus.sentence_coverage(body)
    for clause in split_clauses(compact(normalize(body))):
        mine = extract(clause, rules)
        if not (mine.quantities or mine.dates):
            continue
        src = corpus.best_clause(clause, context, numbers=False)
        if src is None or _stated_together(mine, corpus, src.sent):
            continue
        theirs = src.facts
        pool = _date_pool(corpus, [src.sent])
        rivals = [
            s
            for s in theirs.quantities
            if not any(s.value == q.value and q.same_unit(s) for q in mine.quantities)
        ]
        for q in mine.quantities:
            if not _number_ok(q, theirs.quantities, set()) and (
                r := [s for s in rivals if q.same_unit(s)]
            ):
                out.append(
                    (
                        "number",
                        q.text,
                        f"number {_quote(q.text)}: the source clause it restates says {_quote(r[0].text)}: {_quote(src.text)}",
                    )
                )
        for d in mine.dates:
            if _date_ok(d, [(theirs.dates, *pool[0][1:])]):
                continue
            grain = (d.year is not None, d.month is not None, d.day is not None)
            r = [
                s
                for s in theirs.dates
                if (s.month is not None, s.day is not None) == grain[1:]
                and not any(_date_ok(x, [([s], set(), set())]) for x in mine.dates)
            ]
            if r:
                out.append(
                    (
                        "date",
                        d.text,
                        f"date {_quote(d.text)}: the source clause it restates says {_quote(r[0].text)}: {_quote(src.text)}",
                    )
                )
    return out


def _stated_together(mine: Facts, corpus: Corpus, sent: int) -> bool:
    """Whether one clause of a source sentence states every number and date of a claim clause, two or
    more of them: "2027年增长1.4%" restated with the subject of the sentence's
    first clause ("欧洲央行预测，2026年增长1.2%，2027年增长1.4%") is not a conflict."""
    if len(mine.quantities) + len(mine.dates) < 2:
        return False
    for i in corpus.sent_clauses.get(sent, ()):
        theirs = corpus.clauses[i].facts
        if all(_number_ok(q, theirs.quantities, set()) for q in mine.quantities) and all(
            _date_ok(d, [(theirs.dates, set(), set())]) for d in mine.dates
        ):
            return True
    return False


def _slot_conflicts(body: str, corpus: Corpus, rules: Rules) -> list[tuple[str, str, str]]:
    """A number the sources state, but for something else: "10月末M2同比增长8.5%" where the 8.5% is
    社融存量's and M2's is 8.2%. What each claim number follows (subject_features) is matched with
    every source number of its unit: flagged when a source number of another value follows most of
    it, by a clear margin over the best source mention of the claim's value — and that mention is
    given its whole sentence before it, so a subject stated once for several numbers still counts."""
    out = []
    text = compact(normalize(body))
    mine = extract(text, rules).quantities
    for q, near, _ in number_windows(text, mine):
        feats = subject_features(text[near : q.start], rules)
        if not feats:
            continue
        slots = corpus.slots(q)
        own = [s for s in slots if s.quantity.value == q.value]
        taken = {m.value for m in mine if m.same_unit(q)}
        rivals = [s for s in slots if s.quantity.value not in taken]
        if not own or not rivals:
            continue
        stated = max(own, key=lambda s: s.wide.score(feats, rules))
        rival = max(rivals, key=lambda s: s.near.score(feats, rules))
        best, best_own = rival.near.score(feats, rules), stated.wide.score(feats, rules)
        if best >= 0.75 * len(feats) and best - best_own >= max(1, 0.25 * len(feats)):
            out.append(
                (
                    "number",
                    q.text,
                    f"number {_quote(q.text)}: the sources give {_quote(rival.quantity.text)} for this: "
                    f"{_quote(corpus.sents[rival.sent][1])}; their {_quote(stated.quantity.text)} is about "
                    f"something else: {_quote(corpus.sents[stated.sent][1])}",
                )
            )
    return out


def _prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _stance_conflict(claim: Claim, corpus: Corpus, rules: Rules) -> str | None:
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
        return f"stance “{claim.stance}” on {claim.asset} contradicts the source: {_quote(next(iter(seen.values())))}"
    return None


def _factual(claim: Claim, facts: Facts, rules: Rules) -> bool:
    """Summary and 一般事件 state facts; a 深度解读 sentence does when it reports or attributes."""
    if claim.section in ("summary", "general"):
        return True
    if claim.section == "insight":
        return (
            facts.checkable
            or any(v in claim.body for v in _REPORTING)
            or _speaker(claim.body, rules) is not None
        )
    return False


_CJK = re.compile(r"[\u4e00-\u9fff]")
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


def _unknown_names(text: str, corpus: Corpus, rules: Rules) -> list[str]:
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


def _across_languages(facts: Facts, names: set[str], corpus: Corpus, rules: Rules) -> int | None:
    """A Chinese claim from an English source cannot share character bigrams with it; it is covered
    when one non-Chinese source has all its numbers, dates and names, and it has at least two."""
    if len(facts.quantities) + len(facts.dates) + len(names) < 2:
        return None
    for i, source in enumerate(corpus.sources):
        text = squash(source.text)
        if not text or len(_CJK.findall(text)) > 0.2 * len(text):
            continue
        f = corpus.facts[i]
        years = {d.year for d in f.dates if d.year}
        months = {d.month for d in f.dates if d.month}
        if (
            all(_number_ok(q, f.quantities, years) for q in facts.quantities)
            and all(_date_ok(d, [(f.dates, years, months)]) for d in facts.dates)
            and names <= corpus.entities[i]
        ):
            return i
    return None


def check_claim(claim: Claim, corpus: Corpus, rules: Rules) -> ClaimVerdict:
    """The deterministic verdict on one claim (module docstring: which checks, and why)."""
    facts = extract(claim.body, rules)
    factual = _factual(claim, facts, rules)
    reasons: list[str] = []
    kinds: list[str] = []

    def fail(kind: str, reason: str) -> None:
        reasons.append(reason)
        if kind not in kinds:
            kinds.append(kind)

    found = corpus.passages(claim.body, k=3)
    best = found[0] if found else None
    # a fact's numbers and dates must be in the passages it restates (the best and any near it)
    near = [p for p in found if best and p.coverage >= 0.5 * best.coverage]
    local = [i for p in near for i in range(p.span[0], p.span[1] + 1)] if factual else None
    names = rules.entities_in(facts.words) - CONCEPTS - (set() if factual else ASSETS)
    crossed = None
    if factual and (best is None or best.coverage < COVERAGE_MIN):
        crossed = _across_languages(facts, names, corpus, rules)
        if crossed is not None:
            local = [i for i, (si, _, _) in enumerate(corpus.sents) if si == crossed]
    local_q = (
        [q for i in local for q in corpus.sentence_facts(i).quantities]
        if local is not None
        else corpus.all_quantities
    )
    years = {d.year for f in corpus.facts for d in f.dates if d.year}
    for q in facts.quantities:
        if _number_ok(q, local_q, years):
            continue
        if local is not None and _number_ok(q, corpus.all_quantities, years):
            fail(
                "number",
                f"number {_quote(q.text)} is in the sources, but not in the passages this claim restates",
            )
        else:
            fail(
                "number",
                f"number {_quote(q.text)} is in no source with the same value and unit{_number_hint(q, corpus)}",
            )
    for d in facts.dates:
        if _date_ok(d, _date_pool(corpus, local)):
            continue
        where = (
            "in the sources, but not in the passages this claim restates"
            if _date_ok(d, _date_pool(corpus))
            else "in no source"
        )
        fail("date", f"date {_quote(d.text)} ({d.show()}) is {where}")
    for code in facts.codes:
        if not any(squash(code) in text for text in corpus.squashed):
            fail("entity", f"name {_quote(code)} is in no source")
    written = {name: w for name, w in rules.entity_mentions(facts.words)}
    for name in sorted(names):
        if not _entity_ok(name, corpus, rules):
            shown = written.get(name, name)
            also = f" ({name})" if squash(shown) != squash(name) else ""
            fail("entity", f"entity {_quote(shown)}{also} is named by no source")
    if factual:
        for name in _unknown_names(claim.body, corpus, rules):
            fail("entity", f"name {_quote(name)} is in no source")
    if factual and (who := _speaker(claim.body, rules)) and who in set().union(*corpus.entities):
        context = corpus.sentence_coverage(claim.body)
        sid = max(context, key=lambda i: context[i], default=None)
        if sid is not None and context[sid] >= 0.6:
            theirs = _speaker(corpus.sents[sid][1], rules)
            if theirs and theirs != who:
                fail(
                    "entity",
                    f"attributed to {who}, but the source attributes it to {theirs}: {_quote(corpus.sents[sid][1])}",
                )
    if factual:
        conflicts = _clause_conflicts(claim.body, corpus, rules)
        conflicts += _slot_conflicts(claim.body, corpus, rules)
        for kind, token, reason in conflicts:
            if not any(_quote(token) in r for r in reasons):  # said once is enough
                fail(kind, reason)
    contradictions = _direction_conflicts(claim.body, corpus)
    if stance := _stance_conflict(claim, corpus, rules):
        contradictions.append(stance)
    for c in contradictions:
        fail("direction", c)

    if crossed is not None:
        reasons.append(
            f"matched across languages by its numbers and names: {corpus.sources[crossed].name}: "
            f"{_quote(corpus.sources[crossed].text, 160)}"
        )
    elif factual and (best is None or best.coverage < COVERAGE_MIN):
        fail(
            "coverage",
            f"no source passage covers this claim (best overlap {best.coverage if best else 0:.2f} < {COVERAGE_MIN})",
        )
    if not factual and not reasons and not facts.checkable and not names:
        reasons.append("opinion: nothing checkable")
    if best is not None:
        reasons.append(
            f"best source passage ({best.coverage:.2f}, {best.source}): {_quote(best.text, 160)}"
        )
    verdict: Verdict = "contradicted" if contradictions else "unsupported" if kinds else "supported"
    return ClaimVerdict(
        text=claim.text,
        verdict=verdict,
        reasons=reasons,
        evidence=best.text if best else None,
        kind=kinds,
        section=claim.section,
        opinion=not factual,
    )
