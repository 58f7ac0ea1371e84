"""Expected failures, one class each; the CLI prints them as one line and exits with `exit_code`.

    BriefingError
    ├── ConfigError          bad feeds.yaml, settings or flags              (exit 2)
    ├── CollectError         no feed at all could be read                   (exit 3)
    ├── ReportExistsError    the report is there and --force was not given  (exit 4)
    ├── ReportFormatError    a report that cannot be parsed back            (exit 5)
    ├── RecordError          the run record is missing or unreadable        (exit 6)
    ├── LLMError             the model endpoint failed after all retries    (exit 7)
    │   └── AnalysisError    the model never produced valid JSON            (exit 7)
    ├── EvalThresholdError   eval score below --min-score                   (exit 8)
    └── PublishError         a site or webhook could not be published to    (exit 9)

Bugs are not BriefingErrors and still show a traceback.
"""

from __future__ import annotations

from typing import Any


class BriefingError(Exception):
    exit_code = 1


class ConfigError(BriefingError):
    exit_code = 2


class CollectError(BriefingError):
    exit_code = 3


class ReportExistsError(BriefingError):
    exit_code = 4


class ReportFormatError(BriefingError):
    exit_code = 5


class RecordError(BriefingError):
    exit_code = 6


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


class EvalThresholdError(BriefingError):
    exit_code = 8


class PublishError(BriefingError):
    """A site write or a webhook delivery failed (after the retries); the report itself stays written."""

    exit_code = 9
