"""An LLM rerun says what really happened: the writer and model that wrote the section, settings as `run` resolves them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from fakellm import FakeLLMServer

from briefing.cli import main

DAY = "2025-12-12"
TAKEAWAY = json.dumps(
    {"takeaway": "关注12月19日日本央行议息会议；美元兑日元跌破150关口。"}, ensure_ascii=False
)


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeLLMServer]:
    monkeypatch.chdir(tmp_path)
    with FakeLLMServer() as srv:
        for k, v in srv.env.items():
            monkeypatch.setenv(k, v)
        yield srv


def morning() -> Path:
    code, _, err = invoke(
        "run", "--feeds", str(EXAMPLES / "feeds.yaml"), "--date", DAY, "--out", "out"
    )
    assert code == 0, err
    return Path("out") / f"{DAY}.md"


def reruns(report: Path) -> list[dict]:
    return json.loads(report.with_name(f"{DAY}.record.json").read_text(encoding="utf-8"))["reruns"]


def test_an_llm_rerun_names_the_llm_writer_and_model(llm: FakeLLMServer) -> None:
    report = morning()
    llm.enqueue(content=TAKEAWAY)
    code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "takeaway")
    assert code == 0, err
    assert "rewritten by the llm writer (model fake-model)" in err
    (rr,) = reruns(report)
    assert rr["writer"] == "llm"
    assert (rr["provenance"]["writer"], rr["provenance"]["model"]) == ("llm", "fake-model")
    assert rr["provenance"]["raw"] == TAKEAWAY and rr["calls"][0]["model"] == "fake-model"


def test_the_environment_comes_first_the_record_fills_the_rest(
    llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = morning()  # BRIEFING_MODEL=fake-model: the record keeps it
    monkeypatch.setenv("BRIEFING_MODEL", "editor-model")
    llm.enqueue(content=TAKEAWAY)
    code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "takeaway")
    assert code == 0, err
    assert llm.requests[-1]["model"] == "editor-model"
    assert (
        "(model editor-model)" in err and reruns(report)[0]["provenance"]["model"] == "editor-model"
    )

    monkeypatch.delenv("BRIEFING_MODEL")  # now the morning run's model, from the record
    llm.enqueue(content=TAKEAWAY.replace("150", "148"))
    code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "takeaway")
    assert code == 0, err
    assert llm.requests[-1]["model"] == "fake-model" and "(model fake-model)" in err


def test_a_dotenv_file_configures_the_rerun_like_the_run(
    llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = morning()
    for k in llm.env:
        monkeypatch.delenv(k)
    Path(".env").write_text(
        f"OPENAI_BASE_URL={llm.base_url}\nOPENAI_API_KEY=sk-from-dotenv-000\nBRIEFING_MODEL=dotenv-model\n",
        encoding="utf-8",
    )
    llm.enqueue(content=TAKEAWAY)
    code, _, err = invoke("rerun", str(report), "--event", "2", "--section", "takeaway")
    assert code == 0, err
    assert llm.requests[-1]["model"] == "dotenv-model"
    assert llm.headers[-1]["authorization"] == "Bearer sk-from-dotenv-000"
    assert "(model dotenv-model)" in err


def test_an_offline_rerun_says_offline_and_no_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    report = morning()
    code, _, err = invoke("rerun", str(report), "--event", "1", "--section", "summary", "--dry-run")
    assert code == 0, err
    assert "written by the offline writer; dry run" in err and "model" not in err


def test_a_rerun_with_an_instruction_always_asks(llm: FakeLLMServer) -> None:
    report = morning()
    before = len(llm.requests)
    args = ("rerun", str(report), "--event", "1", "--section", "insight", "--dry-run")
    for _ in range(2):  # a dry run leaves the report as it was: the same prompt twice
        assert invoke(*args, "--instruction", "更强调日元")[0] == 0
    assert len(llm.requests) == before + 2
    for _ in range(2):  # without an instruction the second answer comes from the cache
        assert invoke(*args)[0] == 0
    assert len(llm.requests) == before + 3
    assert invoke(*args, "--no-cache")[0] == 0
    assert len(llm.requests) == before + 4
