"""The editable rules table (rules.yaml): event kinds, how they move assets, and entity aliases."""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

import ahocorasick
import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from briefing.errors import ConfigError

RULES_PATH = Path(__file__).with_name("rules.yaml")


def keyword_pattern(words: list[str]) -> re.Pattern[str] | None:
    """One regex for a keyword list: CJK words match as substrings, Latin words on word boundaries."""
    if not words:
        return None
    parts = []
    for w in sorted(words, key=len, reverse=True):
        esc = re.escape(w)
        parts.append(esc if not w.isascii() else rf"(?<![A-Za-z0-9]){esc}(?![A-Za-z0-9])")
    return re.compile("|".join(parts), re.IGNORECASE)


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class KeywordIndex:
    """Every keyword of a list found in one Aho-Corasick pass, with `keyword_pattern`'s rules:
    case-insensitive, CJK keywords as substrings, Latin ones on word boundaries."""

    def __init__(self, words: list[str]) -> None:
        self._auto = ahocorasick.Automaton()
        for w in {w.lower() for w in words if w}:
            self._auto.add_word(w, (w, w.isascii()))
        self._empty = not len(self._auto)
        if not self._empty:
            self._auto.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, keyword lowercased) of every occurrence, overlapping ones included."""
        if self._empty or not text:
            return []
        lower = text.lower()
        if len(lower) != len(text):  # a rare case-fold that changes length: map back by regex
            return [
                (m.start(), m.end(), w)  # the keyword itself: callers look it up by key
                for w in self._words()
                for m in re.finditer(re.escape(w), text, re.IGNORECASE)
                if not w.isascii() or _bounded(text, m.start(), m.end())
            ]
        out = []
        for end, (word, latin) in self._auto.iter(lower):
            start = end - len(word) + 1
            if not latin or _bounded(lower, start, end + 1):
                out.append((start, end + 1, word))
        return out

    def _words(self) -> list[str]:
        return [w for w, _ in self._auto.values()]

    def hits(self, text: str) -> set[str]:
        """The keywords (lowercased) that occur in `text`."""
        return {w for _, _, w in self.find(text)}

    def leftmost_longest(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping occurrences as a longest-first alternation finds them: 日本央行, not 央行."""
        out: list[tuple[int, int, str]] = []
        pos = 0
        for start, end, word in sorted(self.find(text), key=lambda m: (m[0], -m[1])):
            if start >= pos:
                out.append((start, end, word))
                pos = end
        return out


def _bounded(text: str, start: int, end: int) -> bool:
    return not (start > 0 and _is_word_char(text[start - 1])) and not (
        end < len(text) and _is_word_char(text[end])
    )


Direction = Literal["up", "down"]
Surprise = Literal["above", "below"]


class Clause(BaseModel):
    """A sentence of the table that applies only to some events: by keyword, direction and surprise."""

    text: str
    when: list[str] = Field(default_factory=list)
    direction: Direction | None = None  # the event's figure rises (up) / falls (down)
    surprise: Surprise | None = None  # above / below expectations

    @cached_property
    def when_pattern(self) -> re.Pattern[str] | None:
        return keyword_pattern(self.when)

    def applies(self, text: str, direction: str | None = None, surprise: str | None = None) -> bool:
        """True when every condition it states holds (a clause without conditions always applies)."""
        return (
            (self.when_pattern is None or bool(self.when_pattern.search(text)))
            and (self.direction is None or self.direction == direction)
            and (self.surprise is None or self.surprise == surprise)
        )


class ImpactRule(Clause):
    asset: str
    stance: str


def first_applying(
    clauses: list[Clause], text: str, direction: str | None = None, surprise: str | None = None
) -> Clause | None:
    """The first clause that applies: the table lists the specific ones before the general."""
    return next((c for c in clauses if c.applies(text, direction, surprise)), None)


class Kind(BaseModel):
    id: str
    label: str
    priority: float = Field(ge=0, le=1)
    match: list[list[str]] = Field(default_factory=list)
    impacts: list[ImpactRule] = Field(min_length=3)
    takeaway: str
    advice: list[Clause] = Field(
        default_factory=list
    )  # 投资启示's first half, by direction/surprise
    watch: str = ""  # what to watch next when the sources name nothing
    levels: list[str] = Field(
        default_factory=list
    )  # market levels worth naming when sources give them
    mechanism: list[Clause] = Field(default_factory=list)  # 深度解读's closing sentence
    theme: list[Clause] = Field(default_factory=list)  # the event's words in the day's headline
    rises: list[str] = Field(default_factory=list)  # words that mean "up" for this kind's figure
    falls: list[str] = Field(default_factory=list)
    reading: bool = (
        False  # a data release: the figure is compared with expectations and the previous value
    )

    @cached_property
    def patterns(self) -> list[re.Pattern[str]]:
        return [p for group in self.match if (p := keyword_pattern(group))]

    def impacts_for(
        self, text: str, direction: str | None = None, surprise: str | None = None
    ) -> list[ImpactRule]:
        """One rule per asset, the first that applies, in the table's asset order."""
        out: dict[str, ImpactRule] = {}
        for r in self.impacts:
            if r.asset not in out and r.applies(text, direction, surprise):
                out[r.asset] = r
        return list(out.values())

    def clause(self, field: str, text: str, direction: str | None, surprise: str | None) -> str:
        """The first applying clause of `advice`, `mechanism` or `theme`; '' when none does."""
        c = first_applying(getattr(self, field), text, direction, surprise)
        return c.text if c else ""


class Synthesis(BaseModel):
    """A theme of the day for the headline when the top events are of these kinds."""

    kinds: list[str] = Field(min_length=1)
    text: str


class Topic(BaseModel):
    """How much a kind of story matters to an economic daily (rank's relevance)."""

    id: str
    label: str
    weight: float = Field(ge=0, le=1)
    economic: bool = True  # false: sport, entertainment… never top, and out of 一般事件 alone
    running: bool = False  # told in developments: shared actors/places make one event
    match: list[str] = Field(min_length=1)


class Rules(BaseModel):
    kinds: list[Kind] = Field(min_length=1)
    themes: list[Synthesis] = Field(default_factory=list)  # the offline headline's theme of the day
    entities: dict[str, list[str]] = Field(default_factory=dict)
    ubiquitous: list[str] = Field(default_factory=list)  # entities too common to tie two stories
    subjects: list[str] = Field(default_factory=list)  # entities that say what, not who
    topics: list[Topic] = Field(default_factory=list)
    digests: list[str] = Field(default_factory=list)  # regexes: roundup and teaser titles
    prefixes: list[str] = Field(default_factory=list)  # 快讯, 独家…: labels that open a headline

    @field_validator("digests")
    @classmethod
    def _valid_patterns(cls, v: list[str]) -> list[str]:
        for pat in v:
            try:
                re.compile(pat)
            except re.error as e:
                raise ValueError(f"digest pattern {pat!r}: {e}") from None
        return v

    def topics_in(self, text: str) -> set[str]:
        """Ids of the topics whose keywords `text` names."""
        by_word = self._topic_words
        return {t for w in self._topic_index.hits(text) for t in by_word[w]}

    def topic(self, topic_id: str) -> Topic:
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(topic_id)

    @cached_property
    def _topic_words(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for t in self.topics:
            for w in t.match:
                out.setdefault(w.lower(), []).append(t.id)
        return out

    @cached_property
    def _topic_index(self) -> KeywordIndex:
        return KeywordIndex([w for t in self.topics for w in t.match])

    def kind_words(self, text: str) -> set[str]:
        """The kind keywords `text` names (lowercased): the themes two headlines can share."""
        return self._kind_index.hits(text)

    def is_keyword(self, name: str) -> bool:
        """Whether an entity name is itself a kind or topic keyword (原油, 降息): a theme, not an actor."""
        return name.lower() in self._keywords

    @cached_property
    def _keywords(self) -> frozenset[str]:
        kind_words = {w for _, groups in self._kind_groups for g in groups for w in g}
        return frozenset(kind_words | set(self._topic_words))

    @cached_property
    def prefix_pattern(self) -> re.Pattern[str] | None:
        """A headline's opening labels: 【重磅】, 快讯：, 突发！ (repeated)."""
        if not self.prefixes:
            return None
        words = "|".join(re.escape(w) for w in sorted(self.prefixes, key=len, reverse=True))
        return re.compile(rf"^(?:\s*[【\[(（]?(?:{words})[】\])）]?\s*[：:！!｜|丨，,]?\s*)+")

    @cached_property
    def digest_pattern(self) -> re.Pattern[str] | None:
        """One regex for every digest/teaser title pattern."""
        return re.compile("|".join(f"(?:{p})" for p in self.digests)) if self.digests else None

    def classify(self, text: str) -> Kind:
        """The first kind whose every keyword group occurs in `text`; the last kind is the fallback.

        One Aho-Corasick pass finds every kind keyword; the groups are then set look-ups."""
        hits = self._kind_index.hits(text)
        for kind, groups in self._kind_groups:
            if groups and all(g & hits for g in groups):
                return kind
        return self.kinds[-1]

    @cached_property
    def _kind_groups(self) -> list[tuple[Kind, list[frozenset[str]]]]:
        return [(k, [frozenset(w.lower() for w in g) for g in k.match if g]) for k in self.kinds]

    @cached_property
    def _kind_index(self) -> KeywordIndex:
        return KeywordIndex([w for k in self.kinds for g in k.match for w in g])

    def kind(self, kind_id: str) -> Kind:
        for k in self.kinds:
            if k.id == kind_id:
                return k
        raise KeyError(kind_id)

    @cached_property
    def _aliases(self) -> dict[str, str]:
        return {
            a.lower(): name for name, aliases in self.entities.items() for a in [name, *aliases]
        }

    @cached_property
    def _entity_index(self) -> KeywordIndex:
        return KeywordIndex(list(self._aliases))

    def entity_mentions(self, text: str) -> list[tuple[str, str]]:
        """(canonical name, text as written) for each mention, longest alias first: 日本央行 is not 央行."""
        return [
            (self._aliases[word], text[start:end])
            for start, end, word in self._entity_index.leftmost_longest(text)
        ]

    def entities_in(self, text: str) -> set[str]:
        """Canonical names of the entities `text` mentions under any alias (日银 and BOJ both give 日本央行)."""
        return {name for name, _ in self.entity_mentions(text)}


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Rules:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return Rules.model_validate(raw)
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read rules: {e}") from None
    except ValidationError as e:
        err = e.errors()[0]
        raise ConfigError(f"{path}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def load_rules(path: Path | None = None) -> Rules:
    """The rules table, parsed once per file version."""
    p = path or RULES_PATH
    if not p.is_file():
        raise ConfigError(f"{p}: rules file not found")
    return _load(str(p), p.stat().st_mtime)
