"""The editable rules table (rules.yaml): event kinds, how they move assets, and entity aliases."""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

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

    def matches(self, text: str) -> bool:
        return all(p.search(text) for p in self.patterns)

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


class Rules(BaseModel):
    kinds: list[Kind] = Field(min_length=1)
    themes: list[Synthesis] = Field(default_factory=list)
    entities: dict[str, list[str]] = Field(default_factory=dict)

    def classify(self, text: str) -> Kind:
        """The first kind whose every keyword group occurs in `text`; the last kind is the fallback."""
        for kind in self.kinds:
            if kind.patterns and kind.matches(text):
                return kind
        return self.kinds[-1]

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
    def _entity_pattern(self) -> re.Pattern[str] | None:
        return keyword_pattern(list(self._aliases))

    def entity_mentions(self, text: str) -> list[tuple[str, str]]:
        """(canonical name, text as written) for each mention, longest alias first: 日本央行 is not 央行."""
        if self._entity_pattern is None:
            return []
        return [
            (self._aliases[m.group(0).lower()], m.group(0))
            for m in self._entity_pattern.finditer(text)
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
