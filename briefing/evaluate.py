"""The grounding check's old address: pipeline.py, cli.py and scripts import from here.

Everything lives in briefing.grounding (one module per check kind); this module only re-exports it.
"""

from briefing.grounding import (
    ClaimVerdict,
    EvalResult,
    Judge,
    Source,
    acheck,
    check,
    claims,
    load_sources,
    make_judge,
    result_of,
    sources_from_items,
)

__all__ = [
    "ClaimVerdict",
    "EvalResult",
    "Judge",
    "Source",
    "acheck",
    "check",
    "claims",
    "load_sources",
    "make_judge",
    "result_of",
    "sources_from_items",
]
