"""`python -m evals` — the checker's labelled eval; `--writer` — the grounding of the writer's reports."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals", description=__doc__)
    parser.add_argument(
        "--writer", action="store_true", help="eval the writer instead: grounding of its reports"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every miss with its reasons"
    )
    args = parser.parse_args(argv)
    if args.writer:
        from evals.writer import main as writer_main

        return writer_main(verbose=args.verbose)
    from evals.faithfulness import load_dataset, report_lines, run_sets, score, split_lines

    dataset = load_dataset()
    outcomes = run_sets(dataset)
    metrics = score(outcomes)
    lines = report_lines(metrics, verbose=args.verbose)
    print("\n".join([*lines[:-1], *split_lines(dataset, outcomes), "", lines[-1]]))
    return 1 if metrics.failures else 0


if __name__ == "__main__":
    sys.exit(main())
