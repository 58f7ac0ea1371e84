"""What the CLI prints and how it ends: consoles, one-line errors, exit codes, logging.

Text from feeds, models, files and feeds.yaml is never read as rich markup or emoji codes (both
consoles have them off; our own colours are Text objects) and never carries a terminal control
sequence (`printable`). Every stderr line and log record passes through secrets.redact_text, the
libraries' own request logs included. Usage errors are one line (exit 2), Ctrl-C is 130, a reader
that closes the pipe early gives a quiet 141; see errors.py. Nothing here imports rich, logging or
json until something is printed, so `briefing --help` stays fast.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

import click

from briefing.errors import BROKEN_PIPE, INTERRUPTED, BriefingError

if TYPE_CHECKING:
    import logging

    from rich.console import Console
    from rich.text import Text


_CONTROL = None


def printable(text: str) -> str:
    """No terminal control sequence from a feed, a config or a model: C0 (bar tab and newline),
    DEL and C1 characters go, so ESC[2J or an OSC 8 link can never reach the terminal."""
    global _CONTROL
    if _CONTROL is None:
        import re

        _CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
    return _CONTROL.sub("", text)


class _LazyConsole:
    """A rich Console made on first use, so that `--help` never imports rich."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            class _Console(Console):
                def render_str(self, text: str, **kwargs: Any) -> Any:  # every str printed
                    return super().render_str(printable(text), **kwargs)

                def on_broken_pipe(self) -> None:  # rich would exit 1; we exit like `cat` does
                    self.quiet = True
                    quiet_broken_pipe()

            self._console = _Console(
                stderr=self._stderr, highlight=False, markup=False, emoji=False
            )
        return getattr(self._console, name)


err: Any = _LazyConsole(stderr=True)
out: Any = _LazyConsole(stderr=False)


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line whose styles are ours and whose text is shown as is: ("label", "style") or plain str."""
    from rich.text import Text

    return Text.assemble(
        *(printable(p) if isinstance(p, str) else (printable(p[0]), p[1]) for p in parts)
    )


def say(*parts: str | tuple[str, str]) -> None:
    """One line on stderr, secrets redacted, nothing read as markup."""
    from briefing.secrets import redact_text

    err.print(
        styled(
            *(redact_text(p) if isinstance(p, str) else (redact_text(p[0]), p[1]) for p in parts)
        ),
        soft_wrap=True,
    )


def one_line(message: object) -> str:
    return " ".join(str(message).split())


class BriefingGroup(click.Group):
    """Usage errors on one line (exit 2), Ctrl-C as 130, a closed stdout pipe quietly as 141."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as e:
            hint = ""
            if isinstance(e, click.UsageError) and e.ctx is not None:
                sub = e.ctx.command_path[len(e.ctx.find_root().command_path) :].strip()
                hint = f" (see '{' '.join(['briefing', *sub.split()])} --help')"
            say(("error:", "bold red"), f" {one_line(e.format_message())}{hint}")
            sys.exit(e.exit_code)
        except (click.Abort, KeyboardInterrupt):
            say(("interrupted", "yellow"), ": stopped; no file was half-written")
            sys.exit(INTERRUPTED)
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise
            quiet_broken_pipe()
        sys.exit(rv if isinstance(rv, int) else 0)


def quiet_broken_pipe() -> None:
    """The reader went away (`| head`): stop without a traceback or a flush error at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(BROKEN_PIPE)


def fail_cleanly(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BriefingError as e:
            say(("error:", "bold red"), f" {one_line(e)}")
            sys.exit(e.exit_code)
        except BrokenPipeError:
            quiet_broken_pipe()

    return wrapper


class RedactSecrets:
    """A logging filter on the handler, so it sees httpx/httpcore/openai records too: no key, no
    credential in a URL. (Any object with `filter` will do; no logging import at start-up.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        from briefing.secrets import redact_text

        record.msg = printable(redact_text(record.getMessage()))
        record.args = None
        return True


def set_verbose(ctx: click.Context, _param: click.Parameter, verbose: bool) -> None:
    root = ctx.find_root()
    if root.meta.get("briefing.logging") and not verbose:
        return
    root.meta["briefing.logging"] = True
    import logging

    handler: logging.Handler
    if err.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(console=err, show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:  # cron and pipes: one whole line per record, never wrapped to a terminal width
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler], force=True
    )
    for noisy in ("httpx", "httpcore", "openai", "httpx2"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)


verbose_option = click.option(
    "-v",
    "--verbose",
    is_flag=True,
    expose_value=False,
    callback=set_verbose,
    help="Log each step on stderr (also after the subcommand).",
)


def echo_json(payload: Any) -> None:
    import json

    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def log(name: str) -> logging.Logger:
    import logging

    return logging.getLogger(name)
