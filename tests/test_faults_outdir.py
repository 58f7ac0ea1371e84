"""Fault class: an output folder that cannot take the report is found before any feed is fetched
or any model call is paid for (counted on loopback servers: zero requests of either kind)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakellm import FakeLLMServer
from faultkit import DAY, FeedServer, http_config, invoke, one_line, remount, snapshot, tmpfs


@pytest.fixture
def servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FeedServer, FakeLLMServer, Path]]:
    monkeypatch.chdir(tmp_path)
    with FeedServer() as feeds, FakeLLMServer() as llm:
        for k, v in llm.env.items():
            monkeypatch.setenv(k, v)
        yield feeds, llm, http_config(tmp_path, feeds)


def _run(config: Path, out: Path) -> tuple[int, str, str]:
    return invoke("run", "--feeds", str(config), "--date", DAY, "--out", str(out))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: (t / "notes.txt").write_text("x") and t / "notes.txt" / "out", "is a file"),
        (lambda t: (t / "out").write_text("x") and t / "out", "not a folder"),
        (lambda t: (t / "a").write_text("x") and t / "a" / "b" / "c", "a is a file"),
    ],
    ids=["under-a-file", "is-a-file", "deep-under-a-file"],
)
def test_an_out_path_through_a_regular_file(servers, tmp_path: Path, make, message: str) -> None:
    feeds, llm, config = servers
    out = make(tmp_path)
    before = snapshot(tmp_path)
    code, stdout, err = _run(config, out)
    assert code == 9 and stdout == ""
    line = one_line(err)
    assert line.startswith(f"error: {out}: not a folder") and message in line
    assert feeds.hits == [] and llm.requests == []
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("exists", [True, False], ids=["out-exists", "out-to-be-made"])
def test_an_out_folder_on_a_read_only_file_system(servers, tmp_path: Path, exists: bool) -> None:
    feeds, llm, config = servers
    with tmpfs(tmp_path, "1m") as fs:
        out = fs / "out"
        if exists:
            out.mkdir()
        remount(fs, "ro")
        code, _, err = _run(config, out)
        remount(fs, "rw")
        line = one_line(err)
        assert code == 9 and "cannot write there (read-only file system)" in line
        assert feeds.hits == [] and llm.requests == []
        assert snapshot(fs) == {}


def test_a_writable_out_folder_is_left_as_it_was_by_the_check(servers, tmp_path: Path) -> None:
    """The probe leaves nothing behind, and a good folder goes on to fetch and write."""
    feeds, llm, config = servers
    code, _, err = _run(config, tmp_path / "out")
    assert code == 0, err
    # 3 events, the headline and the 一般事件 translation, in one round
    assert len(feeds.hits) == 6 and len(llm.requests) == 5
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".briefing")) == []
