"""The sources indexed once per check: sentences, clauses (single and adjacent pairs), facts,
entities and bigram indexes, and what each source number is stated for (its subject window)."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from briefing.grounding.dates import WEEKDAY_WORD, date_keys, weekday_dates, weekday_index
from briefing.grounding.directions import Direction, directions, mask_directions, strip_directions
from briefing.grounding.facts import LABELS, Facts, extract
from briefing.grounding.numbers import Quantity
from briefing.grounding.text import (
    MASK,
    NOT_WORD,
    bigrams,
    compact,
    normalize,
    source_sentences,
    split_clauses,
    squash,
)
from briefing.rules import Rules

# -- what a number is about ------------------------------------------------------------------------

# places a clause can be about; with the alias table's names, a clause about another one is not it
PLACES = set(
    "中国 美国 日本 英国 德国 法国 意大利 欧元区 欧盟 韩国 印度 加拿大 澳大利亚 俄罗斯 巴西 瑞士 香港 台湾 沙特".split()
)
NOT_SUBJECTS = {
    "黄金",
    "原油",
    "美元",
    "日元",
    "人民币",
    "比特币",
    "欧元",
    "铜",
    "降息",
    "加息",
    "关税",
    "购债",
    "通胀",
}

# measures of one subject that differ by one word: a clause with the other word states another number
_PAIRS = [("同比", "环比"), ("出口", "进口"), ("名义", "实际"), ("流入", "流出"), ("买入", "卖出"),
          ("存款", "贷款"), ("增持", "减持"), ("上限", "下限"), ("最高", "最低")]  # fmt: skip
_CONTRASTS = _PAIRS + [(b, a) for a, b in _PAIRS]


def _labels(facts: Facts) -> set[tuple[str, object]]:
    """The tenors and quarters a clause names (10年期, 三季度): what it is about, not an amount."""
    return {(q.unit, q.value) for q in facts.quantities if q.unit in LABELS}


# one-character words that say nothing about what a number is about
_FILLER = set("的为至于在和与及将是了其较也从达约近超逾")


def subject_features(window: str, rules: Rules) -> set[str]:
    """What the text just before a number says it is about: canonical entity names ("@恒生指数"),
    dates by field ("^y2027"), codes ("m2") and character bigrams of the rest, with numbers and
    direction words (not the nouns 涨幅, 经济增长) cut out, so that no bigram spans a gap. `window` is normalised and compacted."""
    feats: set[str] = set()
    for name, written in rules.entity_mentions(window):
        feats.add("@" + name)
        window = window.replace(written, MASK * len(written))
    facts = extract(window, rules)
    feats |= {squash(c) for c in facts.codes}
    for d in facts.dates:
        feats |= date_keys(d)
    rest = mask_directions(facts.context)  # 跌 and 上调 go, the nouns 涨幅 and 经济增长 stay
    for code in facts.codes:  # a feature of its own, not bigrams that run into its neighbours
        rest = rest.replace(code, MASK * len(code))
    for seg in NOT_WORD.split(rest.lower()):
        if len(seg) == 1:
            if seg not in _FILLER and not seg.isdigit():
                feats.add(seg)
        else:
            feats |= {seg[i : i + 2] for i in range(len(seg) - 1)}
    return feats


def number_windows(text: str, quantities: list[Quantity]) -> list[tuple[Quantity, int, int]]:
    """Each quantity with a unit and where the text it follows in its sentence starts: `near` goes
    back to the previous quantity of the same unit or the last ；, whichever is nearer ("恒生指数跌
    0.85%，恒生科技指数跌1.72%": 1.72% follows only "，恒生科技指数跌"); `wide` to the sentence
    start, for a subject the sentence states once for several numbers. `text` is the compacted,
    normalised text the quantities were extracted from."""
    out = []
    for i, q in enumerate(quantities):
        if not q.unit:
            continue
        wide = max([m.end() for m in re.finditer(r"[。！？!?]", text[: q.start])] + [0])
        near = max(
            [p.end for p in quantities[:i] if p.same_unit(q)]
            + [m.end() for m in re.finditer(r"[；;]", text[: q.start])]
            + [wide]
        )
        out.append((q, near, wide))
    return out


@dataclass
class Window:
    """The text before a number, as subject_features matches it."""

    raw: str  # compacted, normalised
    dates: set[str]
    text: str = ""  # squashed
    _entities: set[str] | None = None

    def __post_init__(self) -> None:
        self.text = squash(self.raw)

    def names(self, name: str, rules: Rules) -> bool:
        """Whether the window names entity `name` (its aliases looked for first: most windows name
        nothing, and the full entity pattern is the expensive part)."""
        low = self.raw.lower()
        if not any(a.lower() in low for a in [name, *rules.entities.get(name, [])]):
            return False
        if self._entities is None:
            self._entities = rules.entities_in(self.raw)
        return name in self._entities

    def score(self, feats: set[str], rules: Rules) -> int:
        return sum(
            self.names(f[1:], rules)
            if f[0] == "@"
            else f in self.dates
            if f[0] == "^"
            else f in self.text
            for f in feats
        )


@dataclass
class Slot:
    """A source number with what it follows: the text it is stated for."""

    quantity: Quantity
    sent: int
    near: Window
    wide: Window


class Named(Protocol):
    name: str
    text: str


# -- the sources, indexed once per check --------------------------------------------------------


@dataclass
class Query:
    """A claim clause as clause_score compares it."""

    grams: set[str]
    total: float
    numbers: bool
    labels: set[tuple[str, object]]
    subjects: set[str]
    text: str  # compacted, direction words removed


_CJK2 = re.compile(r"[\u4e00-\u9fff]{2}")


@dataclass
class Passage:
    source: str
    text: str
    coverage: float  # share of the claim's character bigrams found in it
    span: tuple[int, int]  # first and last sentence (Corpus.sents indices)


@dataclass
class SourceClause:
    grams: set[str]  # bigrams without the direction words
    text: str  # normalised
    dirs: list[Direction]
    sent: int
    rules: Rules
    prefix: str = ""  # the sentence before this clause: a subject stated once for several clauses
    single: bool = True  # False for two adjacent clauses joined
    pos: int = 0  # where in its sentence it starts (the first clause is 0)
    _facts: Facts | None = None
    _context: set[str] | None = None
    _before: dict[bool, set[str]] = field(default_factory=dict)

    @property
    def facts(self) -> Facts:
        if self._facts is None:  # lazily: most clauses are never asked
            self._facts = extract(self.text, self.rules)
        return self._facts

    @property
    def context(self) -> set[str]:
        """Bigrams without direction words, numbers and dates: what the clause's numbers are about."""
        if self._context is None:
            self._context = bigrams(strip_directions(self.facts.context))
        return self._context

    def before(self, numbers: bool) -> set[str]:
        """The bigrams of the sentence before this clause (with numbers, or context only)."""
        if numbers not in self._before:
            text = self.prefix if numbers else extract(self.prefix, self.rules).context
            self._before[numbers] = bigrams(strip_directions(text)) if self.prefix else set()
        return self._before[numbers]


class Corpus:
    """Sentences, clauses, facts and entities of every source, with bigram indexes; built once per check."""

    def __init__(self, sources: Sequence[Named], rules: Rules) -> None:
        self.sources, self.rules = sources, rules
        self.facts: list[Facts] = [extract(s.text, rules) for s in sources]
        self.entities: list[set[str]] = [rules.entities_in(f.words) for f in self.facts]
        self.squashed = [squash(s.text) for s in sources]
        self.sents: list[tuple[int, str, set[str]]] = []  # (source, sentence, bigrams)
        self._sent_facts: dict[int, Facts] = {}
        self.clauses: list[SourceClause] = []
        self.sent_clauses: dict[int, range] = {}  # sentence -> its single clauses
        self.index: dict[str, list[int]] = defaultdict(list)
        self.cindex: dict[str, list[int]] = defaultdict(list)
        df: Counter[str] = Counter()
        for si, s in enumerate(sources):
            for sent in source_sentences(s.text):
                sid = len(self.sents)
                grams = bigrams(sent)
                for g in grams:
                    self.index[g].append(sid)
                self.sents.append((si, sent, grams))
                parts = split_clauses(compact(normalize(sent)))
                self.sent_clauses[sid] = range(len(self.clauses), len(self.clauses) + len(parts))
                # single clauses and adjacent pairs: "营收为160.6亿，低于预期的162亿" is one claim clause
                pairs = ["，".join(p) for p in zip(parts, parts[1:], strict=False)]
                for k, clause in enumerate(parts + pairs):
                    cg = bigrams(strip_directions(clause))
                    for g in cg:
                        self.cindex[g].append(len(self.clauses))
                        df[g] += k < len(parts)
                    prefix = "，".join(parts[: k % len(parts)])
                    self.clauses.append(
                        SourceClause(
                            cg,
                            clause,
                            directions(clause),
                            sid,
                            rules,
                            prefix,
                            k < len(parts),
                            k % len(parts),
                        )
                    )
        singles = sum(len(r) for r in self.sent_clauses.values())
        # rare bigrams tell clauses apart: 进口 against 出口 counts more than 同比, which both have
        self.idf = {g: math.log(1 + singles / (1 + n)) for g, n in df.items()}
        self._idf_max = math.log(1 + singles / 2)  # a bigram no clause has: as rare as any
        self.all_quantities = [q for f in self.facts for q in f.quantities]
        year = max([d.year for f in self.facts for d in f.dates if d.year] or [date.today().year])
        self.weekdays = [weekday_dates(compact(normalize(s.text)), year) for s in sources]
        for f, days in zip(self.facts, self.weekdays, strict=True):
            f.dates += list(days.values()) if days else []
        self._slots: dict[str, list[Slot]] | None = None
        self._ordinals: list[tuple[Quantity, str, str]] | None = None

    def slots(self, q: Quantity) -> list[Slot]:
        """The source numbers in q's unit, each with the text it is stated for (all built when first
        asked, kept by unit)."""
        if self._slots is None:
            self._slots = defaultdict(list)
            for i, (_, sent, _) in enumerate(self.sents):
                facts = self.sentence_facts(i)
                numbers = number_windows(text := compact(normalize(sent)), facts.quantities)
                if not numbers:
                    continue

                def window(a: int, b: int, facts: Facts = facts, text: str = text) -> Window:
                    dates = [date_keys(d) for d in facts.dates if a <= d.start < b]
                    return Window(text[a:b], set().union(*dates))

                for n, near, wide in numbers:
                    self._slots[n.unit.split("/")[0]].append(
                        Slot(n, i, window(near, n.start), window(wide, n.start))
                    )
        return [s for s in self._slots.get(q.unit.split("/")[0], []) if q.same_unit(s.quantity)]

    def ordinals(self) -> list[tuple[Quantity, str, str]]:
        """Every rank the sources state (第六次降息): the rank, the two characters after it, its sentence."""
        if self._ordinals is None:
            self._ordinals = []
            for i, (_, sent, _) in enumerate(self.sents):
                text = compact(normalize(sent))
                for o in self.sentence_facts(i).ordinals:
                    self._ordinals.append((o, text[o.end : o.end + 2], sent))
        return self._ordinals

    def link(self, name: str) -> str | None:
        """The address of the source called `name`, when it has one."""
        return next((getattr(s, "link", None) for s in self.sources if s.name == name), None)

    def sentence_facts(self, i: int) -> Facts:
        """The facts of sentence i (extracted when first asked)."""
        if i not in self._sent_facts:
            si, sent, _ = self.sents[i]
            facts = self._sent_facts[i] = extract(sent, self.rules)
            if days := self.weekdays[si]:  # 周三公布 in a piece dated by 周四 (12月18日)
                for m in WEEKDAY_WORD.finditer(sent):
                    facts.dates.append(days[weekday_index(m.group(1))])
        return self._sent_facts[i]

    def sentence_coverage(self, text: str) -> dict[int, float]:
        grams = bigrams(text)
        hits = Counter(i for g in grams for i in self.index.get(g, ()))
        return {i: n / len(grams) for i, n in hits.items()} if grams else {}

    def passages(self, text: str, k: int = 3) -> list[Passage]:
        """The k best distinct windows of one to three consecutive sentences of one source."""
        grams = bigrams(text)
        if not grams:
            return []
        hits = Counter(i for g in grams for i in self.index.get(g, ()))
        scored: dict[tuple[int, int], float] = {}
        for i, _ in hits.most_common(12):
            for a in range(i - 2, i + 1):
                for b in range(i, a + 3):
                    if (
                        a < 0
                        or b >= len(self.sents)
                        or self.sents[a][0] != self.sents[b][0]
                        or (a, b) in scored
                    ):
                        continue
                    union = set().union(*(self.sents[j][2] for j in range(a, b + 1)))
                    scored[(a, b)] = len(grams & union) / len(grams) - 0.01 * (
                        b - a
                    )  # shorter wins a tie
        out: list[Passage] = []
        for (a, b), score in sorted(scored.items(), key=lambda kv: -kv[1]):
            if any(not (b < p.span[0] or a > p.span[1]) for p in out):
                continue
            body = "".join(self.sents[j][1] for j in range(a, b + 1))
            out.append(
                Passage(
                    self.sources[self.sents[a][0]].name,
                    body,
                    round(score + 0.01 * (b - a), 3),
                    (a, b),
                )
            )
            if len(out) >= k:
                break
        return out

    def _subjects(self, text: str) -> set[str]:
        """The places and named entities a clause is about (assets and concepts aside)."""
        found = {p for p in PLACES if p in text}
        return found | (self.rules.entities_in(text) - NOT_SUBJECTS)

    def weight(self, gram: str) -> float:
        """How much a shared bigram says that two clauses are about the same thing."""
        return self.idf.get(gram, self._idf_max)

    def best_clause(
        self,
        clause: str,
        context: dict[int, float],
        *,
        numbers: bool = True,
        singles: bool = False,
        family: str | None = None,
    ) -> SourceClause | None:
        """The source clause this claim clause restates (`clause_score`, best of those sharing a
        bigram). With `numbers=False` the match ignores numbers and dates and must cover 60% of the
        rest; with `singles`, only single clauses (a direction or an actor belongs to one); with
        `family`, only clauses with a direction word of that family (directions.py)."""
        query = self.query(clause, numbers)
        if query is None:
            return None
        hits = Counter(i for g in bigrams(strip_directions(clause)) for i in self.cindex.get(g, ()))
        best, best_score = None, 0.6
        for i, _ in hits.most_common(60):
            if singles and not self.clauses[i].single:
                continue
            if family and not any(d.family == family for d in self.clauses[i].dirs):
                continue
            score = self.clause_score(query, self.clauses[i], context)
            if score is not None and score > best_score:
                best, best_score = self.clauses[i], score
        return best

    def query(self, clause: str, numbers: bool) -> Query | None:
        """A claim clause prepared for clause_score."""
        facts = extract(clause, self.rules)
        grams = bigrams(strip_directions(clause if numbers else facts.context))
        if len(grams) < (1 if numbers else 4):  # "LPR为" alone cannot tell 1年期 from 5年期
            return None
        total = sum(self.weight(g) for g in grams)
        return Query(
            grams, total, numbers, _labels(facts), self._subjects(clause), strip_directions(clause)
        )

    def clause_score(self, q: Query, c: SourceClause, context: dict[int, float]) -> float | None:
        """How well source clause `c` matches a claim clause: bigram Dice and coverage weighted by
        how rare each bigram is, helped by how well its sentence matches the whole claim (so PPI's
        环比上涨 is not taken for CPI's 环比下降) and by the sentence before it (a subject stated once:
        "中国11月出口增长5.9%，进口增长1.9%"). None when they cannot be the same statement: a
        minimal pair (同比/环比, 进口/出口, 沪铜/沪铝), another tenor (1年期/5年期), another place."""
        w = self.weight
        theirs = c.grams if q.numbers else c.context
        before = c.before(q.numbers)
        shared = q.grams & theirs
        if self._contrast(q, c) or self._told_apart(q, c, theirs | before):
            return None
        if not c.single and self._tells_apart(q, c.sent):
            return None  # the sentence tells two similar clauses apart: the claim restates one
        if q.labels and (other := _labels(c.facts)) and not q.labels & other:
            return None
        if q.subjects and (other := self._subjects(c.prefix + c.text)) and not q.subjects & other:
            return None
        n = sum(w(g) for g in shared)
        inherited = sum(w(g) for g in (q.grams - shared) & before)
        if (n + inherited) / q.total < (0.3 if q.numbers else 0.6):
            return None
        return (
            0.5 * n / q.total  # a claim restates part of a long clause: coverage, not only Dice
            + 2 * n / (q.total + sum(w(g) for g in theirs))
            + 0.25 * inherited / q.total
            + 0.5 * context.get(c.sent, 0.0)
        )

    def _told_apart(self, q: Query, c: SourceClause, theirs: set[str]) -> bool:
        """Every word of the claim this clause lacks is in another clause of the same sentence
        (核心核心CPI against 「核心CPI…3.0%，核心核心CPI…2.8%」): the sentence tells the two apart,
        and the claim restates the other one."""
        extra = q.grams - theirs
        if not extra:
            return False
        for i in self.sent_clauses.get(c.sent, ()):
            s = self.clauses[i]
            if s is not c and extra <= (s.grams if q.numbers else s.context):
                return True
        return False

    def _tells_apart(self, q: Query, sent: int) -> bool:
        """Whether sentence `sent` has a single clause the claim cannot restate because another
        clause of it has every word that one lacks (see _told_apart)."""
        for i in self.sent_clauses.get(sent, ()):
            c = self.clauses[i]
            theirs = (c.grams if q.numbers else c.context) | c.before(q.numbers)
            if c.single and self._told_apart(q, c, theirs):
                return True
        return False

    def _contrast(self, q: Query, c: SourceClause) -> bool:
        """The claim and this clause differ by one character between two shared ones (沪铜主 against
        沪铝主, 月进口 against 月出口), and another clause of the same sentence has the claim's
        word: the sentence itself tells the two apart. Also the listed pairs (同比/环比…)."""
        theirs = c.grams if q.numbers else c.context
        if any(a in q.grams and b in theirs and a not in theirs for a, b in _CONTRASTS):
            return True
        siblings = set().union(
            *(s.grams for i in self.sent_clauses.get(c.sent, ()) if (s := self.clauses[i]) is not c)
        )
        text = c.text
        for m in re.finditer(r"(?=([\u4e00-\u9fff]{3}))", q.text):
            tri = m.group(1)
            if tri in text or not (tri[:2] in siblings or tri[1:] in siblings):
                continue
            if re.search(re.escape(tri[0]) + r"[\u4e00-\u9fff]" + re.escape(tri[2]), text):
                return True
        return False
