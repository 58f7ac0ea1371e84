"""The grounding check's old address: pipeline.py, cli.py and scripts import from here.

Everything lives in briefing.grounding (one module per check kind); this module only re-exports it.
"""

from briefing.grounding import *  # noqa: F403  (the same names, one list: grounding.__all__)
from briefing.grounding import __all__  # noqa: F401
