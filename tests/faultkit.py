"""What the fault-matrix modules (tests/test_faults_*.py) share: the real CLI in-process or as a
subprocess, a loopback feed server that can hang, a small tmpfs, and byte snapshots of a folder."""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT

from briefing.cli import main

DAY = "2025-12-12"
SAMPLE = EXAMPLES / "feeds.yaml"


def invoke(*args: str) -> tuple[int, str, str]:
    """The CLI in-process (CliRunner): exit code, stdout, stderr."""
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def sample_config(tmp_path: Path, **top: Any) -> Path:
    """The bundled sample with absolute feed paths (and extra top-level keys) as tmp/feeds.yaml."""
    cfg = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    for f in cfg["feeds"]:
        f["url"] = str((EXAMPLES / f["url"]).resolve())
    cfg.update(top)
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def morning(out: Path, *extra: str) -> Path:
    """`briefing run` of the sample into `out`; the report path."""
    code, _, err = invoke("run", "--feeds", str(SAMPLE), "--date", DAY, "--out", str(out), *extra)
    assert code == 0, err
    return out / f"{DAY}.md"


_MORNING: dict[str, Path] = {}


def morning_copy(out: Path, cache: Path | None = None) -> Path:
    """A copy of one sample run made once per session (faster than a run per test)."""
    if "out" not in _MORNING:
        if cache is None:
            cache = Path(tempfile.mkdtemp(prefix="briefing-morning-"))
            atexit.register(shutil.rmtree, cache, True)
        _MORNING["out"] = cache / "morning-out"
        morning(_MORNING["out"])
    shutil.copytree(_MORNING["out"], out)
    return out / f"{DAY}.md"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) with its bytes: what "nothing changed" compares."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def hand_edit(report: Path, event: int, section: str, new: str = "编辑手改。") -> str:
    """An editor rewrites one section (event 1-based) by hand; the edited text."""
    from briefing.render import parse

    text = report.read_text(encoding="utf-8")
    start, end = parse(text).spans[event - 1][section]
    edited = text[:start] + new + text[end:]
    report.write_text(edited, encoding="utf-8")
    return edited


STATUS = re.compile(r"^briefing: date=\S+ .*exit=(\d+)$")


def one_line(err: str) -> str:
    """The one message line of stderr; `run`'s closing status line (briefing/status.py) aside."""
    lines = [ln for ln in err.strip().splitlines() if not STATUS.match(ln)]
    assert len(lines) == 1, err
    return lines[0]


def cli_subprocess(
    *args: str, cwd: Path, env: dict[str, str] | None = None, **kw: Any
) -> subprocess.Popen[str]:
    """`python -m briefing …` as a user starts it (real signals, real exit codes)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BRIEFING_"))}
    full_env.update({"PYTHONPATH": str(ROOT), "BRIEFING_CACHE_DIR": str(cwd / ".cache")})
    full_env.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "briefing", *args],
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


class FeedServer:
    """Loopback HTTP serving the sample's feed files; `hang=True` accepts and never answers."""

    def __init__(self, *, hang: bool = False, files: dict[str, bytes] | None = None) -> None:
        self.hang = hang
        self.files = files or {
            p.name: p.read_bytes() for p in (EXAMPLES / "feeds").iterdir() if p.is_file()
        }
        self.hits: list[str] = []
        self.arrived = threading.Event()
        self._release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_a: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.hits.append(self.path)
                outer.arrived.set()
                if outer.hang:
                    outer._release.wait(60)
                    return
                body = outer.files.get(self.path.lstrip("/").split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.send_header("ETag", f'"{len(body or b"")}"')
                self.end_headers()
                self.wfile.write(body or b"")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{name}"

    def __enter__(self) -> FeedServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


def http_config(tmp_path: Path, srv: FeedServer, **top: Any) -> Path:
    """The sample's feeds served by `srv` over loopback HTTP."""
    cfg = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    for f in cfg["feeds"]:
        f["url"] = srv.url(Path(f["url"]).name)
    cfg.update(top)
    path = tmp_path / "feeds.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@contextlib.contextmanager
def tmpfs(tmp_path: Path, size: str = "4m") -> Iterator[Path]:
    """A private tmpfs of `size`, or the test skips saying why (needs root and mount(8))."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a small tmpfs needs root and mount(8)")
    where = tmp_path / f"fs-{uuid.uuid4().hex[:6]}"
    where.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
    except (subprocess.CalledProcessError, OSError) as e:
        pytest.skip(f"cannot mount a tmpfs here: {getattr(e, 'stderr', e)}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def remount(where: Path, mode: str) -> None:
    """`ro` or `rw`: a read-only folder that even root cannot write (chmod does not stop root)."""
    _mount("-o", f"remount,{mode}", str(where))


@contextlib.contextmanager
def read_only_bind(folder: Path) -> Iterator[None]:
    """`folder` alone made read-only by a bind mount over itself."""
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root")
    try:
        _mount("--bind", str(folder), str(folder))
        _mount("-o", "remount,bind,ro", str(folder))
    except subprocess.CalledProcessError as e:
        pytest.skip(f"cannot bind-mount read-only here: {e.stderr}")
    try:
        yield
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def fill(where: Path, leave: int) -> Path:
    """Fill the file system at `where` until ENOSPC, then free about `leave` bytes."""
    filler = where / "filler.bin"
    chunk = b"\0" * 65536
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError:
            pass
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - leave))
    return filler
