"""The checker's eval: labelled claims over long-form sources, placed in a report, checked offline.

Each set of evals/dataset.yaml becomes one report (summary and 深度解读 paragraphs, 影响 bullets,
投资启示 lines) that `briefing.evaluate.check` reads like any other. A claim is *flagged* when its
verdict is not `supported`. Recall per planted-error kind, the share of faithful claims flagged and
the balanced accuracy are compared with THRESHOLDS.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from briefing.evaluate import ClaimVerdict, Source, check
from briefing.grounding.claims import plain
from briefing.grounding.text import squash

DATASET = Path(__file__).with_name("dataset.yaml")
Label = Literal["faithful", "number", "unit", "date", "entity", "direction", "invented"]
ERROR_KINDS: tuple[str, ...] = ("number", "unit", "date", "entity", "direction", "invented")

# The offline target: ≥95% recall on number, date and entity errors (unit/magnitude errors
# are number errors) with ≤5% of faithful claims flagged. Direction and invented events are harder
# for lexical checks; their floors guard against regressions rather than state a goal.
THRESHOLDS: dict[str, float] = {
    "recall:number": 0.95,
    "recall:unit": 0.95,
    "recall:date": 0.95,
    "recall:entity": 0.95,
    "recall:direction": 0.80,
    "recall:invented": 0.50,
    "false_flag_max": 0.05,
    "balanced_accuracy": 0.90,
}


class LabelledClaim(BaseModel):
    text: str
    label: Label
    section: Literal["summary", "insight", "impact", "takeaway"]
    note: str = ""


class EvalSet(BaseModel):
    id: str
    split: Literal["dev", "holdout", "blind"] = "dev"
    title: str
    sources: list[Source]
    claims: list[LabelledClaim] = Field(min_length=1)


class Dataset(BaseModel):
    sets: list[EvalSet]


def load_dataset(path: Path = DATASET) -> Dataset:
    return Dataset.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def report_for(s: EvalSet) -> tuple[str, list[LabelledClaim]]:
    """The set's claims laid out as a briefing, and the claims in the order the report reads them."""
    by = {
        sec: [c for c in s.claims if c.section == sec]
        for sec in ("summary", "insight", "impact", "takeaway")
    }

    def paragraphs(cs: list[LabelledClaim]) -> str:
        return "\n\n".join("".join(c.text for c in cs[i : i + 3]) for i in range(0, len(cs), 3))

    parts = [
        "---", f"title: {s.title}", "date: 2025-12-12", "category: 经济日报", "---",
        f"## {s.title}", "", f"## {s.title}", "", "事件时间：2025-12-12 09:00", "",
        paragraphs(by["summary"]), "", "### 深度解读 & 洞察", "", paragraphs(by["insight"]), "", "### 影响", "",
        *[c.text for c in by["impact"]], "",
        *[f"> 投资启示：{c.text}" for c in by["takeaway"]], "",
    ]  # fmt: skip
    order = by["summary"] + by["insight"] + by["impact"] + by["takeaway"]
    return "\n".join(parts), order


@dataclass
class Outcome:
    set_id: str
    claim: LabelledClaim
    verdict: ClaimVerdict

    @property
    def flagged(self) -> bool:
        return self.verdict.verdict != "supported"


@dataclass
class Metrics:
    outcomes: list[Outcome]
    recall: dict[str, float] = field(default_factory=dict)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # label -> (flagged, total)
    false_flag: float = 0.0
    balanced_accuracy: float = 0.0
    failures: list[str] = field(default_factory=list)


def run_sets(dataset: Dataset, judge: object | None = None) -> list[Outcome]:
    out: list[Outcome] = []
    for s in dataset.sets:
        markdown, order = report_for(s)
        result = check(markdown, s.sources, judge=judge)
        if len(result.claims) != len(order):
            raise AssertionError(
                f"{s.id}: report split into {len(result.claims)} claims, dataset has {len(order)}"
            )
        for c, v in zip(order, result.claims, strict=True):
            if squash(plain(c.text)) != squash(v.text.removeprefix("投资启示：")):
                raise AssertionError(f"{s.id}: claim {c.text!r} came back as {v.text!r}")
            out.append(Outcome(s.id, c, v))
    return out


def score(outcomes: list[Outcome]) -> Metrics:
    m = Metrics(outcomes)
    total, flagged = Counter(), Counter()
    for o in outcomes:
        total[o.claim.label] += 1
        flagged[o.claim.label] += o.flagged
    for label in ("faithful", *ERROR_KINDS):
        m.counts[label] = (flagged[label], total[label])
    for kind in ERROR_KINDS:
        if total[kind]:
            m.recall[kind] = flagged[kind] / total[kind]
    m.false_flag = flagged["faithful"] / total["faithful"] if total["faithful"] else 0.0
    errors = sum(total[k] for k in ERROR_KINDS)
    tpr = sum(flagged[k] for k in ERROR_KINDS) / errors if errors else 1.0
    m.balanced_accuracy = (tpr + 1 - m.false_flag) / 2
    for key, floor in THRESHOLDS.items():
        if key.startswith("recall:") and m.recall.get(key[7:], 1.0) < floor:
            m.failures.append(f"{key[7:]} recall {m.recall[key[7:]]:.1%} < {floor:.0%}")
    if m.false_flag > THRESHOLDS["false_flag_max"]:
        m.failures.append(
            f"false-flag rate {m.false_flag:.1%} > {THRESHOLDS['false_flag_max']:.0%}"
        )
    if m.balanced_accuracy < THRESHOLDS["balanced_accuracy"]:
        m.failures.append(
            f"balanced accuracy {m.balanced_accuracy:.1%} < {THRESHOLDS['balanced_accuracy']:.0%}"
        )
    return m


def report_lines(m: Metrics, verbose: bool = False) -> list[str]:
    lines = [
        f"faithfulness eval: {len(m.outcomes)} claims in {len({o.set_id for o in m.outcomes})} sets",
        "",
    ]
    lines.append(f"{'label':<10} {'flagged':>8} {'total':>6} {'rate':>7}  threshold")
    for label, (f, t) in m.counts.items():
        if not t:
            continue
        floor = THRESHOLDS.get(f"recall:{label}")
        limit = (
            f"recall ≥ {floor:.0%}" if floor else f"flagged ≤ {THRESHOLDS['false_flag_max']:.0%}"
        )
        lines.append(f"{label:<10} {f:>8} {t:>6} {f / t:>7.1%}  {limit}")
    contradicted = sum(
        o.verdict.verdict == "contradicted" for o in m.outcomes if o.claim.label == "direction"
    )
    lines += [
        "",
        f"direction errors marked contradicted: {contradicted}/{m.counts['direction'][1]}",
        f"false-flag rate on faithful claims: {m.false_flag:.1%}",
        f"balanced accuracy: {m.balanced_accuracy:.1%}",
    ]
    misses = [o for o in m.outcomes if o.flagged == (o.claim.label == "faithful")]
    if verbose and misses:
        lines += ["", "misses:"]
        for o in misses:
            what = "flagged" if o.flagged else "missed"
            lines.append(f"  [{o.set_id}] {o.claim.label} {what}: {o.claim.text}")
            lines += [f"      {r}" for r in o.verdict.reasons]
    lines.append("")
    lines.append("PASS" if not m.failures else "FAIL: " + "; ".join(m.failures))
    return lines


def split_lines(dataset: Dataset, outcomes: list[Outcome]) -> list[str]:
    """The same figures per split: dev (tuned on), holdout and blind (written later; see README)."""
    lines = ["by split (flagged faithful, errors caught, balanced accuracy):"]
    for split in ("dev", "holdout", "blind"):
        ids = {s.id for s in dataset.sets if s.split == split}
        part = [o for o in outcomes if o.set_id in ids]
        if not part:
            continue
        m = score(part)
        ff, ft = m.counts["faithful"]
        caught = sum(m.counts[k][0] for k in ERROR_KINDS)
        errors = sum(m.counts[k][1] for k in ERROR_KINDS)
        lines.append(f"  {split:<8} {ff}/{ft}, {caught}/{errors}, {m.balanced_accuracy:.1%}")
    return lines
