"""Prompt rendering: `prompts/*.j2` through a sandboxed jinja2 environment, feed text fenced as data.

StrictUndefined makes a missing variable an error; the `data` filter keeps feed text from opening
or closing a `<<<NAME … NAME>>>` fence, so untrusted text stays inside its block.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Undefined
from jinja2.sandbox import SandboxedEnvironment


def prompts_dir() -> Path:
    """`briefing/prompts` in an installed wheel (force-included there), else the repo's `prompts/`."""
    inside = Path(__file__).parent / "prompts"
    return inside if inside.is_dir() else Path(__file__).parent.parent / "prompts"


FENCE_OPEN, FENCE_CLOSE = "<<<", ">>>"


def fence_safe(value: object) -> str:
    """Feed text that cannot open or close a `<<<NAME … NAME>>>` data fence."""
    return str(value).replace(FENCE_OPEN, "‹‹‹").replace(FENCE_CLOSE, "›››")


def clip(value: object, limit: int = 1200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit].rstrip() + "……（截断）"


def _tojson(value: object, indent: int = 2) -> str:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return json.dumps(value, ensure_ascii=False, indent=indent)


@lru_cache(maxsize=4)
def _environment(folder: str) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["data"] = fence_safe
    env.filters["clip"] = clip
    env.filters["tojson_cn"] = _tojson
    return env


def render_prompt(name: str, /, **context: Any) -> str:
    """Render `prompts/<name>` (sandboxed, StrictUndefined: a missing variable is an error)."""
    return _environment(str(prompts_dir())).get_template(name).render(**context).strip()
