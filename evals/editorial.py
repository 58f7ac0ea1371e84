"""`python -m evals.editorial [REPORT.md ...]` — would an editor publish it? Scores reports against issue 11.

Checks, each a count of problems per report (the fewer the better; 0 is the aim):

- method_note      the writer's method in the post (「本事件由N个来源报道」, 「按事件类型归为」, 「…类事件的一般传导看」)
- repeated         a sentence said twice in the report (also: one contained in a longer one elsewhere)
- english          an untranslated English passage (four or more Latin words in a row)
- title_long       an event title over TITLE_MAX characters
- headline_long    the headline over HEADLINE_MAX characters
- headline_concat  the headline made of two or more event titles joined
- title_no_figure  an event title without a figure
- general_retells  a 一般事件 line that retells a top event (shares its figure or most of its words)
- generic_stance   a 分化/中性 bullet whose clause hedges without saying which way (「相互抵消」「影响有限」…)
- stock_overlap    股市 and A股 saying the same thing in one event
- vague_takeaway   a 投资启示 that names nothing to watch (no date, release, meeting or level)

With no paths, it runs the offline pipeline on the bundled sample (examples/feeds.yaml, 2025-12-12)
and on the second feed set (examples/general/feeds.yaml, 2026-03-12) and scores both reports;
`--out DIR` keeps them. Prints the problems per report, then a summary table.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from briefing.models import Report
from briefing.render import parse
from briefing.rules import load_rules
from briefing.sanitize import sentences

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [
    (ROOT / "examples" / "feeds.yaml", date(2025, 12, 12)),
    (ROOT / "examples" / "general" / "feeds.yaml", date(2026, 3, 12)),
]
TITLE_MAX = 30
HEADLINE_MAX = 40

_METHOD = re.compile(r"本事件由\s*\d+\s*个来源报道|按事件类型归为|类事件的一般传导看")
_ENGLISH = re.compile(r"[A-Za-z][\w'’&.$%-]*(?:[ ,;:]+[A-Za-z0-9$][\w'’&.$%-]*){3,}")
_HEDGE = re.compile(
    r"相互抵消|影响有限|对.{0,6}影响有限|取决于|未见明显|暂不构成|或有短线波动|随之重定价|表现分化|走势分化|影响边际|间接作用"
)
_FIGURE = re.compile(r"\d+(?:\.\d+)?(?:%|个百分点|个基点|万亿|亿|万|美元|元|点|桶|吨)?")
_WATCH = re.compile(r"\d|会议|公布|发布|议息|数据|读数|关口|一线|点位|财报|听证")
_PUNCT = re.compile(r"[\s，,。！？!?；;：:、“”\"'（）()《》\\*]")


@dataclass(frozen=True)
class Problem:
    check: str
    where: str
    text: str


CHECKS = (
    "method_note",
    "repeated",
    "english",
    "title_long",
    "headline_long",
    "headline_concat",
    "title_no_figure",
    "general_retells",
    "generic_stance",
    "stock_overlap",
    "vague_takeaway",
)


def _norm(s: str) -> str:
    return _PUNCT.sub("", s)


def _bigrams(s: str) -> set[str]:
    s = _norm(s)
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _figures(text: str) -> set[str]:
    """Distinctive figures: decimals and figures with a unit; bare small integers, years and dates left out."""
    out = set()
    for m in _FIGURE.finditer(text.replace(" ", "")):
        tail = text.replace(" ", "")[m.end() : m.end() + 1]
        if tail in "年月日时" and m.group(0)[-1:] not in "%点":
            continue
        if "." in m.group(0) or not m.group(0).isdigit():
            out.add(m.group(0))
    return out


def _parts(report: Report) -> list[tuple[str, str]]:
    """(where, text) for every piece of prose an editor reads."""
    out = [("headline", report.headline)]
    for n, e in enumerate(report.events, 1):
        out += [(f"event {n} title", e.title), (f"event {n} summary", e.summary)]
        out += [(f"event {n} insight", e.insight)]
        out += [(f"event {n} 影响 {i.asset}", i.text) for i in e.impacts]
        out += [(f"event {n} takeaway", e.takeaway)]
    out += [(f"一般事件 {k}", line) for k, line in enumerate(report.general, 1)]
    return out


def check_method_notes(report: Report) -> list[Problem]:
    return [
        Problem("method_note", where, m.group(0))
        for where, text in _parts(report)
        for m in _METHOD.finditer(text)
    ]


def check_repeated(report: Report) -> list[Problem]:
    seen: list[tuple[str, str, str]] = []  # (normalised, where, original)
    out = []
    for where, text in _parts(report):
        if where == "headline" or where.endswith("title"):
            continue
        for s in sentences(text):
            n = _norm(s)
            if len(n) < 8:
                continue
            for m, w, _ in seen:
                if n == m or (len(n) >= 10 and n in m) or (len(m) >= 10 and m in n):
                    out.append(Problem("repeated", f"{where} ≈ {w}", s))
                    break
            seen.append((n, where, s))
    return out


def check_english(report: Report) -> list[Problem]:
    return [
        Problem("english", where, m.group(0)[:60])
        for where, text in _parts(report)
        for m in _ENGLISH.finditer(text)
    ]


def check_titles(report: Report) -> list[Problem]:
    out = []
    if len(report.headline) > HEADLINE_MAX:
        out.append(
            Problem("headline_long", "headline", f"{len(report.headline)}: {report.headline}")
        )
    head = _norm(report.headline)
    joined = sum(
        any(len(c) >= 6 and c in head for c in map(_norm, re.split(r"[：:，,；;\s]+", e.title)))
        for e in report.events
    )
    if joined >= 2:
        out.append(Problem("headline_concat", "headline", report.headline))
    for n, e in enumerate(report.events, 1):
        if len(e.title) > TITLE_MAX:
            out.append(Problem("title_long", f"event {n} title", f"{len(e.title)}: {e.title}"))
        if not re.search(r"\d", e.title):
            out.append(Problem("title_no_figure", f"event {n} title", e.title))
    return out


_UBIQUITOUS = {"中国", "美国", "日本", "欧盟"}


def _terms(text: str) -> set[str]:
    """Named entities and event-kind keywords of the rules table, the ubiquitous ones left out."""
    rules = load_rules()
    names = {name for name, _ in rules.entity_mentions(text)}
    for _, written in rules.entity_mentions(text):
        text = text.replace(written, " ")
    words = {m.group(0).upper() for k in rules.kinds for p in k.patterns for m in p.finditer(text)}
    return (words | names) - _UBIQUITOUS


def check_general(report: Report) -> list[Problem]:
    """A 一般事件 line that shares a top event's figure, most of its title's words, or two of its
    names and keywords; named against the event it shares most with."""
    out = []
    for k, line in enumerate(report.general, 1):
        figures, terms, words = _figures(line), _terms(line), _bigrams(line)
        found = []
        for n, e in enumerate(report.events, 1):
            body = f"{e.title}\n{e.summary}\n{e.insight}"
            overlap = len(words & _bigrams(e.title)) / len(words) if words else 0
            common = terms & _terms(body)
            shared = figures & _figures(body) if common or overlap >= 0.2 else set()
            if shared or overlap >= 0.4 or (len(common) >= 2 and common & _terms(e.title)):
                found.append((len(shared), len(common), overlap, n, shared, common))
        if found:
            _, _, overlap, n, shared, common = max(found)
            why = (
                f"shares {'、'.join(sorted(shared))}"
                if shared
                else f"{overlap:.0%} of its words"
                if overlap >= 0.4
                else f"both on {'、'.join(sorted(common))}"
            )
            out.append(Problem("general_retells", f"一般事件 {k} ≈ event {n} ({why})", line))
    return out


def check_stances(report: Report) -> list[Problem]:
    out = []
    for n, e in enumerate(report.events, 1):
        for i in e.impacts:
            bare = re.sub(r"^(短期|中期|长期|结构性|偏)", "", i.stance)
            if bare in ("分化", "中性") and (_HEDGE.search(i.text) or len(_norm(i.text)) < 6):
                out.append(
                    Problem("generic_stance", f"event {n} 影响 {i.asset}", f"{i.stance}。{i.text}")
                )
        stocks = {i.asset: i.stance for i in e.impacts if i.asset in ("股市", "A股")}
        if len(stocks) == 2 and len(set(stocks.values())) == 1:
            out.append(
                Problem("stock_overlap", f"event {n} 影响", f"股市 and A股 both {stocks['A股']}")
            )
        if not _WATCH.search(e.takeaway):
            out.append(Problem("vague_takeaway", f"event {n} takeaway", e.takeaway))
    return out


RULES: list[Callable[[Report], list[Problem]]] = [
    check_method_notes,
    check_repeated,
    check_english,
    check_titles,
    check_general,
    check_stances,
]


def score(text: str) -> list[Problem]:
    """Every problem an editor would send back, in the order the checks run."""
    report = parse(text).report
    return [p for rule in RULES for p in rule(report)]


def table(rows: list[tuple[str, list[Problem]]]) -> list[str]:
    """One line per report: the count of each check and the total."""
    short = {c: c.replace("_", " ") for c in CHECKS}
    name_w = max([len("report"), *(len(n) for n, _ in rows)])
    header = f"{'report':<{name_w}}  " + "  ".join(short.values()) + "  total"
    lines = [header, "-" * len(header)]
    for name, problems in rows:
        cells = [f"{sum(p.check == c for p in problems):>{len(short[c])}}" for c in CHECKS]
        lines.append(f"{name:<{name_w}}  " + "  ".join(cells) + f"  {len(problems):>5}")
    return lines


def offline_reports(out: Path) -> list[Path]:
    """The offline pipeline's reports of the two bundled feed sets, written under `out`."""
    from briefing.config import load_settings
    from briefing.pipeline import run

    paths = []
    for feeds, day in SAMPLES:
        settings = load_settings(
            feeds, env={"BRIEFING_CACHE_DIR": str(out / ".cache")}, env_file=None
        )
        now = datetime(day.year, day.month, day.day, 23, 0, tzinfo=ZoneInfo(settings.timezone))
        summary = run(settings, day=day, out_dir=out / feeds.parent.name, now=now, force=True)
        paths.append(summary.report)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.editorial", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "reports", nargs="*", type=Path, help="reports to score (default: the two offline samples)"
    )
    parser.add_argument("--out", type=Path, help="keep the sample reports in this directory")
    parser.add_argument("--quiet", action="store_true", help="the summary table only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.reports or offline_reports(args.out or Path(tmp))
        rows = []
        for path in paths:
            try:
                problems = score(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                print(f"{path}: {e}", file=sys.stderr)
                return 2
            name = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
            rows.append((name, problems))
    for name, problems in rows:
        if args.quiet:
            break
        print(f"{name}: {len(problems)} problem(s)")
        for p in problems:
            print(f"  {p.check:<16} {p.where}: {p.text}")
        print()
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
