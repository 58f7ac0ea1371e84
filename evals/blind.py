"""Blind checks in the shape of issue 5's acceptance test: long-form sources, labelled claims.

    python -m evals.blind              # every round
    python -m evals.blind --round 2    # one round
    python -m evals.blind -v           # … and every claim's verdict and reasons

Round 1 (`evals/blind/`): each labelled claim is placed alone in a report template.
Round 2 (`evals/blind/round2/`): one whole report in the seed format (three events, 影响 bullets,
投资启示, 一般事件), checked once like `briefing eval REPORT.md --source A --source B --source C`
does; `labels.yaml` maps each labelled claim's text to its label, unlabelled claims are not scored.

Prints recall per planted-error kind and the faithful claims flagged; exits 1 when, in any round,
number + date + entity recall falls below 90% or more than 1 faithful claim is flagged.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from briefing.evaluate import ClaimVerdict, check, load_sources

HERE = Path(__file__).parent / "blind"
KINDS = ("faithful", "number", "unit", "date", "entity", "direction", "invented")
CORE = ("number", "date", "entity")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).rstrip("。！？；.")


def round1(verbose: bool) -> dict[str, list[tuple[str, ClaimVerdict | None]]]:
    labels = yaml.safe_load((HERE / "labels.yaml").read_text(encoding="utf-8"))
    sources = load_sources([HERE / "a_credit.txt", HERE / "b_ecb.md", HERE / "c_markets.html"])
    template = (HERE / "report.md").read_text(encoding="utf-8")
    out: dict[str, list[tuple[str, ClaimVerdict | None]]] = {}
    for kind, texts in labels.items():
        for text in texts:
            report = template.replace("CLAIMS_1", text).replace(
                "CLAIMS_2", "编辑部认为流动性总体充裕。"
            )
            verdict = next((c for c in check(report, sources).claims if c.text == text), None)
            out.setdefault(kind, []).append((text, verdict))
    return out


def round2(verbose: bool) -> dict[str, list[tuple[str, ClaimVerdict | None]]]:
    folder = HERE / "round2"
    labels: dict[str, str] = yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8"))
    paths = sorted(p for p in folder.iterdir() if p.name not in ("labels.yaml", "report.md"))
    result = check((folder / "report.md").read_text(encoding="utf-8"), load_sources(paths))
    by_text = {_norm(c.text): c for c in result.claims}
    out: dict[str, list[tuple[str, ClaimVerdict | None]]] = {}
    used: set[str] = set()
    for text, kind in labels.items():
        key = _norm(text)
        verdict = by_text.get(key) or next(
            (c for k, c in by_text.items() if key in k or (len(k) > 8 and k in key)), None
        )
        if verdict is not None:
            used.add(_norm(verdict.text))
        out.setdefault(kind, []).append((text, verdict))
    if verbose:
        for key, c in by_text.items():
            if key not in used:
                print(f"  (unlabelled) {c.verdict:12} {c.text}")
    return out


def report(name: str, out: dict[str, list[tuple[str, ClaimVerdict | None]]], verbose: bool) -> bool:
    print(f"== {name}")
    for kind, rows in out.items():
        for text, verdict in rows:
            if verdict is None:
                print(f"  NOT A CLAIM [{kind}] {text}")
                continue
            flagged = verdict.verdict != "supported"
            if verbose or flagged == (kind == "faithful"):
                mark = "ok  " if flagged != (kind == "faithful") else "MISS"
                reasons = "; ".join(verdict.reasons)[:200]
                print(f"  {mark} [{kind}] {text} -> {verdict.verdict}: {reasons}")
    hits = {
        kind: [v is not None and v.verdict != "supported" for _, v in out.get(kind, [])]
        for kind in KINDS
    }
    for kind in KINDS:
        if hits[kind]:
            print(f"  {kind:10} flagged {sum(hits[kind]):2}/{len(hits[kind])}")
    core = [h for k in CORE for h in hits[k]]
    recall = sum(core) / len(core)
    false_flags = sum(hits["faithful"])
    ok = recall >= 0.9 and false_flags <= 1
    print(
        f"  number+date+entity recall {sum(core)}/{len(core)} = {recall:.1%}; "
        f"faithful flagged {false_flags}/{len(hits['faithful'])}; {'PASS' if ok else 'FAIL'}"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.blind")
    parser.add_argument("--round", type=int, choices=(1, 2))
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    rounds = {1: round1, 2: round2}
    ok = True
    for number, run in rounds.items():
        if args.round in (None, number):
            ok &= report(f"round {number}", run(args.verbose), args.verbose)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
