"""A report and its run record, loaded once for show, eval and rerun: decoded, parsed and verified.

Failure policy (each one line, nothing touched):
- no such file → ReportNotFoundError (exit 2, the same in every command);
- bytes that are not text in UTF-8 (BOM or not), UTF-16 with a BOM or GBK/GB18030, or text that
  does not parse as a briefing (front matter, headline, events) → ReportFormatError (exit 5);
- record missing or unreadable → RecordError (exit 6), when the caller needs it;
- record of another run (its run_id differs from the report's `generator.run_id`) →
  RecordMismatchError (exit 6), always, even when the caller could do without a record.

The encoding is kept (`Loaded.encode`) so a rerun writes the file back as it found it: BOM,
UTF-16 or GBK, line endings and every byte outside the rewritten section unchanged.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from briefing.errors import (
    RecordError,
    RecordMismatchError,
    ReportFormatError,
    ReportNotFoundError,
)
from briefing.record import HISTORY, RunRecord, load_record, record_path
from briefing.render import Parsed, parse

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass
class Loaded:
    """What show, eval and rerun work from."""

    path: Path
    raw: bytes
    text: str
    encoding: str  # the codec of the text after the BOM: utf-8, utf-16-le, utf-16-be or gb18030
    bom: bytes
    parsed: Parsed
    record: RunRecord | None
    record_problem: str | None = None  # why there is no record, when the caller could do without

    def encode(self, text: str) -> bytes:
        """`text` in the file's own encoding, BOM included."""
        return self.bom + text.encode(self.encoding)


def decode_report(path: Path, raw: bytes) -> tuple[str, str, bytes]:
    """(text, codec, bom) or a ReportFormatError naming what the bytes are not."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(codec), codec, bom
            except UnicodeDecodeError:
                raise ReportFormatError(
                    f"{path}: starts with a {codec} byte-order mark but is not {codec} text"
                ) from None
    if b"\x00" in raw:
        raise ReportFormatError(
            f"{path}: binary data or UTF-16 without a byte-order mark, not a briefing report"
        )
    try:
        return raw.decode("utf-8"), "utf-8", b""
    except UnicodeDecodeError:
        pass
    try:  # the one legacy encoding a Chinese report plausibly comes in; parse() then vouches for it
        return raw.decode("gb18030"), "gb18030", b""
    except UnicodeDecodeError:
        raise ReportFormatError(
            f"{path}: neither UTF-8, UTF-16 (with BOM) nor GBK text; save it as UTF-8"
        ) from None


def report_run_id(parsed: Parsed) -> str | None:
    generator = parsed.report.meta.get("generator")
    run_id = generator.get("run_id") if isinstance(generator, dict) else None
    return str(run_id) if run_id is not None else None


def verify_pair(path: Path, parsed: Parsed, record: RunRecord) -> None:
    """Refuse a record that belongs to another run than the report."""
    ours = report_run_id(parsed)
    if ours == record.run_id:
        return
    history = path.parent / HISTORY
    hint = f"; earlier pairs are in {history}" if history.is_dir() else ""
    raise RecordMismatchError(
        f"{path}: its run record {record_path(path)} belongs to another run "
        f"(report run {ours or 'unknown'}, record run {record.run_id or 'unknown'}); "
        f"nothing done{hint}"
    )


def load_report(path: Path, *, record: bool | None = True) -> Loaded:
    """Read, decode, parse and pair. `record`: True needs it, None takes it if there, False skips it."""
    if not path.is_file():
        if path.exists():
            raise ReportNotFoundError(f"{path}: not a file")
        raise ReportNotFoundError(f"{path}: report not found")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ReportNotFoundError(f"{path}: cannot read: {e.strerror or e}") from None
    text, encoding, bom = decode_report(path, raw)
    try:
        parsed = parse(text)
    except ReportFormatError as e:
        raise ReportFormatError(f"{path}: not a briefing report: {e}") from None
    rec, problem = None, None
    if record is not False:
        try:
            rec = load_record(path)
        except RecordError as e:
            if record:
                raise
            problem = str(e)
        if rec is not None:
            verify_pair(path, parsed, rec)
    return Loaded(
        path=path,
        raw=raw,
        text=text,
        encoding=encoding,
        bom=bom,
        parsed=parsed,
        record=rec,
        record_problem=problem,
    )
