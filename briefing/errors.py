"""Expected failures, one class each; the CLI prints them as one line and exits with `exit_code`.

    BriefingError
    ├── ConfigError            bad feeds.yaml, settings or flag value (an event number out of
    │   │                      range, --min-score 1.5, a malformed or future --date)  (exit 2)
    │   └── ReportNotFoundError  the REPORT argument names no file (show, eval, rerun) (exit 2)
    ├── CollectError           no feed at all could be read                        (exit 3)
    ├── ReportExistsError      the report is there and --force was not given       (exit 4)
    ├── ReportFormatError      not a briefing report: cannot be decoded or parsed  (exit 5)
    ├── RecordError            the run record is missing or unreadable             (exit 6)
    │   └── RecordMismatchError  the record beside the report is another run's     (exit 6)
    ├── LLMError               the model endpoint failed after all retries         (exit 7)
    │   ├── AnalysisError      the model never produced valid JSON                 (exit 7)
    │   └── NothingWrittenError  the configured LLM wrote none of the events; the
    │                          offline draft is kept under OUT/drafts/, DATE.md not written (exit 7)
    ├── EvalThresholdError     eval score below --min-score                        (exit 8)
    ├── OutputError            a report, record or backup cannot be written (disk full,
    │                          read-only folder, a path under a regular file); nothing
    │                          replaced, no temp file left                         (exit 9)
    └── PublishError           a site or webhook could not be published to after the
                               retries; the written report stays as it is           (exit 10)

Not BriefingErrors, but exit codes all the same: a flag the parser rejects (click's usage error)
is 2 like ConfigError; Ctrl-C is 130 (128 + SIGINT) with nothing half-written; a reader that closes
the pipe early (`briefing collect --json | head`) ends the command quietly with 141 (128 + SIGPIPE),
as `cat` would. Bugs are not BriefingErrors and still show a traceback (exit 1).
"""

from __future__ import annotations

from typing import Any

INTERRUPTED = 130
BROKEN_PIPE = 141


class BriefingError(Exception):
    exit_code = 1


class ConfigError(BriefingError):
    exit_code = 2


class ReportNotFoundError(ConfigError):
    """The same code in show, eval and rerun: the argument names nothing."""


class CollectError(BriefingError):
    exit_code = 3


class ReportExistsError(BriefingError):
    exit_code = 4


class ReportFormatError(BriefingError):
    exit_code = 5


class RecordError(BriefingError):
    exit_code = 6


class RecordMismatchError(RecordError):
    """The report's run id and its record's differ: never pair one run's text with another's sources."""


class LLMError(BriefingError):
    """`record` is the CallRecord of the failed call; `fatal` means every call would fail alike (401, quota)."""

    exit_code = 7
    record: Any = None
    fatal: bool = False


class AnalysisError(LLMError):
    """The model kept answering JSON that fails the schema; carries what it said."""

    def __init__(
        self, message: str, *, attempts: int, last_raw: str, usage: dict[str, Any] | None = None
    ):
        super().__init__(message)
        self.attempts = attempts
        self.last_raw = last_raw
        self.usage = usage or {}


class NothingWrittenError(LLMError):
    """Every event fell back to the offline writer although an LLM is configured (cron must see it)."""


class EvalThresholdError(BriefingError):
    exit_code = 8


class OutputError(BriefingError):
    """A write failed (ENOSPC, EROFS, EACCES, ENOTDIR): one line, and the previous files stay as they were."""

    exit_code = 9


class PublishError(BriefingError):
    """A site write or a webhook delivery failed (after the retries); the report itself stays written."""

    exit_code = 10
