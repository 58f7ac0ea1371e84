"""briefing.llm_cache: the answer cache, the token budget and the price table, on the real wire."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES
from fakellm import FakeLLMServer
from test_llm_writer import FAST, A, B, C, event

from briefing.cli import main
from briefing.config import LLMConfig, Price, Settings
from briefing.llm_cache import AnswerCache, TokenBudget, cache_key, cost_of, estimate_tokens
from briefing.llm_writer import LLMWriter
from briefing.models import Event
from briefing.write import write_all

DAY = "2025-12-12"
KEY = "sk-test-cache-key-0123456789"


@pytest.fixture
def srv() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def settings(srv: FakeLLMServer, cache_dir: Path | None, key: str = KEY, **llm: Any) -> Settings:
    return Settings(
        feeds=[],
        cache_dir=cache_dir,
        llm=LLMConfig(**{"model": "fake-model", "base_url": srv.base_url, "api_key": key, **llm}),
    )


def write(s: Settings, **kw: Any) -> LLMWriter:
    writer = LLMWriter(s, backoff=FAST, **kw)
    asyncio.run(write_all(writer, [A, B, C], [event("其他")]))
    return writer


# -- the cache -----------------------------------------------------------------------------------


def test_an_identical_second_run_makes_no_request(srv: FakeLLMServer, tmp_path: Path) -> None:
    first = write(settings(srv, tmp_path))
    assert len(srv.requests) == 4 and not any(c.cached for c in first.calls)
    second = write(settings(srv, tmp_path))
    assert len(srv.requests) == 4  # nothing new on the wire
    assert [c.cached for c in second.calls] == [True] * 4
    assert sorted(c.raw for c in second.calls) == sorted(c.raw for c in first.calls)
    assert second.totals()["total_tokens"] == 0 and second.totals()["cached"] == 4
    assert second._model is None  # answered from disk: the OpenAI adapter was never made


def test_a_miss_reads_the_cache_once_per_call(
    srv: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real_get = AnswerCache.get

    def counting_get(self: AnswerCache, key: str) -> Any:
        reads.append(key)
        return real_get(self, key)

    monkeypatch.setattr(AnswerCache, "get", counting_get)
    write(settings(srv, tmp_path))
    assert len(srv.requests) == 4 and len(reads) == 4 and len(set(reads)) == 4


def test_the_key_is_not_the_api_key_and_no_file_holds_it(
    srv: FakeLLMServer, tmp_path: Path
) -> None:
    write(settings(srv, tmp_path, key=KEY))
    write(settings(srv, tmp_path, key="sk-another-key-9876543210"))  # same answer, other key
    assert len(srv.requests) == 4
    files = list((tmp_path / "llm").glob("*.json"))
    assert len(files) == 4
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert KEY not in text and "sk-another" not in text and KEY not in f.name


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("model", "other-model"),
        ("temperature", 0.9),
        ("max_tokens", 1500),
        ("response_format", "json_object"),
    ],
)
def test_what_determines_the_answer_is_in_the_key(
    srv: FakeLLMServer, tmp_path: Path, change: str, value: Any
) -> None:
    write(settings(srv, tmp_path))
    write(settings(srv, tmp_path, **{change: value}))
    assert len(srv.requests) == 8


def test_cache_off_asks_every_time(srv: FakeLLMServer, tmp_path: Path) -> None:
    write(settings(srv, tmp_path, cache=False))
    write(settings(srv, tmp_path, cache=False))
    assert len(srv.requests) == 8 and not (tmp_path / "llm").exists()


def test_reads_off_still_stores(srv: FakeLLMServer, tmp_path: Path) -> None:
    write(settings(srv, tmp_path), read_cache=False)
    write(settings(srv, tmp_path), read_cache=False)
    assert len(srv.requests) == 8 and len(list((tmp_path / "llm").glob("*.json"))) == 4


def test_an_expired_entry_is_a_miss_and_is_removed(srv: FakeLLMServer, tmp_path: Path) -> None:
    write(settings(srv, tmp_path, cache_max_age_days=1))
    old = time.time() - 2 * 86400
    for f in (tmp_path / "llm").glob("*.json"):
        os.utime(f, (old, old))
    write(settings(srv, tmp_path, cache_max_age_days=1))
    assert len(srv.requests) == 8
    assert all(f.stat().st_mtime > old for f in (tmp_path / "llm").glob("*.json"))


def test_the_size_bound_drops_the_oldest_entries(tmp_path: Path) -> None:
    cache = AnswerCache(tmp_path, max_mb=0.01)  # ~10 KB
    now = time.time()
    for n in range(8):
        cache.put(f"k{n}", {"raw": "x" * 2500})
        os.utime(tmp_path / f"k{n}.json", (now - 100 + n, now - 100 + n))
    cache.prune()
    kept = sorted(p.stem for p in tmp_path.glob("*.json"))
    assert kept == ["k4", "k5", "k6", "k7"]  # 4 × ~2.5 KB fit in 10 KB; the oldest went


def test_an_entry_the_schema_no_longer_accepts_is_asked_again(
    srv: FakeLLMServer, tmp_path: Path
) -> None:
    write(settings(srv, tmp_path))
    for f in (tmp_path / "llm").glob("*.json"):
        f.write_text(json.dumps({"raw": '{"title": "残缺"}'}), encoding="utf-8")
    second = write(settings(srv, tmp_path))
    assert len(srv.requests) == 8 and not any(c.cached for c in second.calls)


def test_an_unwritable_cache_folder_does_not_stop_the_run(
    srv: FakeLLMServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    writer = write(settings(srv, blocker))
    assert len(writer.calls) == 4 and all(c.error is None for c in writer.calls)


def test_the_key_hashes_everything_it_is_given() -> None:
    base = {
        "endpoint": "http://127.0.0.1:1/v1",
        "model": "m",
        "messages": [{"role": "user", "content": "问"}],
        "schema": {"type": "object"},
        "config": LLMConfig(),
    }
    key = cache_key(**base)
    assert len(key) == 64 and key == cache_key(**base)
    assert key != cache_key(**{**base, "messages": [{"role": "user", "content": "问。"}]})
    assert key != cache_key(**{**base, "endpoint": "http://127.0.0.1:2/v1"})
    assert key == cache_key(**{**base, "config": LLMConfig(api_key="sk-whatever")})


# -- the CLI: an identical run, --no-cache, the record ---------------------------------------------


def invoke(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def morning(*extra: str) -> tuple[int, str, str]:
    return invoke(
        "run",
        "--feeds",
        str(EXAMPLES / "feeds.yaml"),
        "--date",
        DAY,
        "--out",
        "out",
        "--force",
        *extra,
    )


def test_cli_second_run_is_served_from_the_cache_and_the_record_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with FakeLLMServer() as srv:
        for k, v in srv.env.items():
            monkeypatch.setenv(k, v)
        assert morning()[0] == 0
        first = len(srv.requests)
        code, _, err = morning()
        assert code == 0, err
        assert len(srv.requests) == first  # 0 requests on the identical run
        assert "from the answer cache" in err
        record = json.loads((tmp_path / "out" / f"{DAY}.record.json").read_text(encoding="utf-8"))
        assert record["calls"] and all(c["cached"] for c in record["calls"])
        assert all(s["cached"] and s["model"] == "fake-model" for s in record["sections"])
        code, _, err = morning("--no-cache")
        assert code == 0, err
        assert len(srv.requests) == 2 * first
        record = json.loads((tmp_path / "out" / f"{DAY}.record.json").read_text(encoding="utf-8"))
        assert not any(c["cached"] for c in record["calls"])


# -- the token budget --------------------------------------------------------------------------


def test_when_the_budget_is_reached_the_remaining_events_fall_back_with_the_reason(
    srv: FakeLLMServer,
) -> None:
    probe = LLMWriter(settings(srv, None), backoff=FAST)
    asyncio.run(probe.write_event(A))
    one_event = estimate_tokens(json.dumps(srv.requests[0]["messages"], ensure_ascii=False))
    limit = one_event + 2000 + 500  # room for one event's reservation, not two
    srv.requests.clear()
    writer = LLMWriter(settings(srv, None, max_tokens_per_run=limit), backoff=FAST)

    async def three() -> list:
        return await asyncio.gather(*(writer.write_event(e) for e in (A, B, C)))

    written = asyncio.run(three())
    writers = [w.provenance.writer for w in written]
    assert writers == ["llm", "offline", "offline"] and len(srv.requests) == 1
    for w in written[1:]:
        assert "token budget reached (llm.max_tokens_per_run=" in (
            w.provenance.fallback_reason or ""
        )
    (answered,) = [c for c in writer.calls if c.error is None]
    assert writer.budget.spent == answered.usage.total_tokens > 0
    assert writer.budget.in_flight == 0


def test_the_events_come_before_the_translation_when_the_budget_is_short(
    srv: FakeLLMServer,
) -> None:
    """As the pipeline runs them: write_all and general_lines at once; the event gets the budget."""
    from briefing.pipeline import general_lines

    probe = LLMWriter(settings(srv, None), backoff=FAST)
    asyncio.run(probe.write_event(A))
    limit = estimate_tokens(json.dumps(srv.requests[0]["messages"], ensure_ascii=False)) + 2100
    srv.requests.clear()
    writer = LLMWriter(settings(srv, None, max_tokens_per_run=limit), backoff=FAST)
    rest = [event("其他"), Event(title="Copper hits record above $11,700", score=1, items=[])]

    async def one_round() -> tuple:
        return await asyncio.gather(write_all(writer, [A], rest), general_lines(rest, 10, writer))

    (written, _), general = asyncio.run(one_round())
    assert written[0].provenance.writer == "llm"
    assert general == ["其他：美联储购债"]  # the English one left out
    refused = sorted(c.purpose for c in writer.calls if c.error)
    assert refused == ["headline", "translate 一般事件"]


def test_the_budget_settles_on_reported_usage() -> None:
    budget = TokenBudget(100)
    budget.reserve(60, "a")
    budget.settle(60, 20)
    budget.reserve(70, "b")  # 20 spent + 70 fits
    assert (budget.spent, budget.in_flight) == (20, 70)
    with pytest.raises(Exception, match="token budget reached"):
        budget.reserve(11, "c")


# -- prices ------------------------------------------------------------------------------------


def test_cost_comes_from_the_price_table(srv: FakeLLMServer) -> None:
    prices = {"fake-model": Price(input=2.0, output=8.0)}
    writer = LLMWriter(settings(srv, None, prices=prices), backoff=FAST)
    asyncio.run(writer.write_event(A))
    call = writer.calls[0]
    expected = (call.usage.prompt_tokens * 2.0 + call.usage.completion_tokens * 8.0) / 1e6
    assert call.cost == pytest.approx(expected) and call.cost > 0
    assert writer.totals()["cost"] == pytest.approx(expected)
    assert cost_of("unpriced", 1000, 1000, writer.config) is None


def run_sample_with(
    folder: Path, monkeypatch: pytest.MonkeyPatch, llm_yaml: str
) -> tuple[int, str, FakeLLMServer]:
    """`briefing run` on the sample with an `llm:` section, against a fresh fake server."""
    feeds = (EXAMPLES / "feeds.yaml").read_text(encoding="utf-8")
    (folder / "feeds.yaml").write_text(llm_yaml + feeds, encoding="utf-8")
    (folder / "feeds").symlink_to(EXAMPLES / "feeds")
    monkeypatch.chdir(folder)
    with FakeLLMServer() as srv:
        for k, v in srv.env.items():
            monkeypatch.setenv(k, v)
        code, _, err = invoke("run", "--feeds", "feeds.yaml", "--date", DAY, "--out", "out")
    return code, err, srv


def test_cli_summary_prints_the_cost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    llm = "llm:\n  prices:\n    fake-model: {input: 1.0, output: 4.0}\n"
    code, err, _ = run_sample_with(tmp_path, monkeypatch, llm)
    assert code == 0, err
    record = json.loads((tmp_path / "out" / f"{DAY}.record.json").read_text(encoding="utf-8"))
    total = sum(c["cost"] for c in record["calls"])
    assert total > 0 and f"cost {total:.4f}" in err
    assert record["settings"]["llm"]["prices"] == {"fake-model": {"input": 1.0, "output": 4.0}}


def test_budget_fallback_is_named_in_the_cli_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err, srv = run_sample_with(tmp_path, monkeypatch, "llm:\n  max_tokens_per_run: 100\n")
    assert srv.requests == []
    assert code == 7  # the configured LLM wrote nothing: the offline draft is kept aside
    assert "token budget reached (llm.max_tokens_per_run=100" in err
    assert not (tmp_path / "out" / f"{DAY}.md").exists()
    (draft,) = (tmp_path / "out").glob(f"*/{DAY}.record.json")
    record = json.loads(draft.read_text(encoding="utf-8"))
    reasons = [s["fallback_reason"] for s in record["sections"]]
    assert len(reasons) == 3 and all("token budget reached" in (r or "") for r in reasons), reasons
