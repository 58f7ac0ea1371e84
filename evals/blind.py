"""A blind check in the shape of issue 5's acceptance test: three long-form sources, labelled claims.

    python -m evals.blind

Prints recall per planted-error kind and the faithful claims flagged; exits 1 when number, date and
entity recall together fall below 90% or more than 1 of the faithful claims is flagged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from briefing.evaluate import check, load_sources

HERE = Path(__file__).parent / "blind"


def main() -> int:
    labels = yaml.safe_load((HERE / "labels.yaml").read_text(encoding="utf-8"))
    sources = load_sources([HERE / "a_credit.txt", HERE / "b_ecb.md", HERE / "c_markets.html"])
    template = (HERE / "report.md").read_text(encoding="utf-8")
    flagged: dict[str, list[bool]] = {}
    for kind, claims in labels.items():
        for claim in claims:
            report = template.replace("CLAIMS_1", claim).replace(
                "CLAIMS_2", "编辑部认为流动性总体充裕。"
            )
            verdict = next(c for c in check(report, sources).claims if c.text == claim)
            flagged.setdefault(kind, []).append(verdict.verdict != "supported")
            if (verdict.verdict != "supported") == (kind == "faithful"):
                print(
                    f"  miss [{kind}] {claim} -> {verdict.verdict}: {'; '.join(verdict.reasons)[:160]}"
                )
    for kind, hits in flagged.items():
        print(f"{kind:10} flagged {sum(hits):2}/{len(hits)}")
    core = [h for k in ("number", "date", "entity") for h in flagged[k]]
    recall = sum(core) / len(core)
    false_flags = sum(flagged["faithful"])
    print(
        f"number+date+entity recall {recall:.1%}; faithful flagged {false_flags}/{len(flagged['faithful'])}"
    )
    return 0 if recall >= 0.9 and false_flags <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
