"""The writer's eval: the grounding score of the reports it writes from the bundled sample feeds.

Two runs of the real pipeline over examples/feeds.yaml for 2025-12-12, each report checked against
its own run record's items (what `briefing eval REPORT.md` does without --source):

- offline: the offline writer. Threshold: OFFLINE_MIN.
- loopback: the LLM writer against tests/fakellm.py's loopback server, whose default answers are
  schema-valid placeholder text ("模拟…"), not a real model. Its score shows that ungrounded model
  text is caught (it should be low); it is printed, not held to a threshold.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from briefing.config import load_settings
from briefing.evaluate import EvalResult, check, sources_from_items
from briefing.pipeline import run
from briefing.record import load_record

ROOT = Path(__file__).resolve().parent.parent
FEEDS = ROOT / "examples" / "feeds.yaml"
DAY = date(2025, 12, 12)
NOW = datetime(2025, 12, 12, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
OFFLINE_MIN = 0.9


def grounding(env: dict[str, str], out: Path) -> EvalResult:
    settings = load_settings(FEEDS, env=env, env_file=None)
    summary = run(settings, day=DAY, out_dir=out, now=NOW)
    record = load_record(summary.report)
    return check(summary.report.read_text(encoding="utf-8"), sources_from_items(record.items))


def describe(name: str, result: EvalResult, verbose: bool) -> list[str]:
    by_section = Counter((c.section, c.verdict == "supported") for c in result.claims)
    sections = sorted({s for s, _ in by_section})
    parts = ", ".join(
        f"{s} {by_section[(s, True)]}/{by_section[(s, True)] + by_section[(s, False)]}"
        for s in sections
    )
    kinds = Counter(k for c in result.claims for k in c.kind)
    lines = [
        f"{name:<9} score {result.score:.1%} ({sum(c.verdict == 'supported' and c.checked for c in result.claims)}"
        f"/{result.checked} checkable claims supported; {len(result.claims) - result.checked} opinions unchecked)",
        f"{'':<9} supported by section: {parts}",
        f"{'':<9} failed checks: {dict(kinds) or 'none'}",
    ]
    if verbose:
        lines += [
            f"{'':<9} ✗ {c.verdict}: {c.text}  [{'; '.join(c.reasons[:1])}]"
            for c in result.claims
            if c.verdict != "supported"
        ]
    return lines


def main(verbose: bool = False) -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    from fakellm import FakeLLMServer  # the loopback OpenAI-compatible server of the test suite

    with tempfile.TemporaryDirectory() as tmp:
        base = {"BRIEFING_CACHE_DIR": str(Path(tmp) / "cache"), "HOME": tmp}
        offline = grounding(base, Path(tmp) / "offline")
        with FakeLLMServer() as srv:
            env = {
                **base,
                "OPENAI_BASE_URL": srv.base_url,
                "OPENAI_API_KEY": "sk-loopback",
                "BRIEFING_MODEL": "fake-model",
            }
            loopback = grounding(env, Path(tmp) / "loopback")
    lines = [f"writer eval: examples/feeds.yaml, {DAY}", ""]
    lines += describe("offline", offline, verbose) + describe("loopback", loopback, verbose)
    ok = offline.score >= OFFLINE_MIN
    lines += [
        "",
        "PASS" if ok else f"FAIL: offline grounding {offline.score:.1%} < {OFFLINE_MIN:.0%}",
    ]
    print("\n".join(lines))
    return 0 if ok else 1
