"""A loopback OpenAI-compatible server for tests and the benchmark: scripted replies, recorded requests.

    with FakeLLMServer(delay=0.3) as srv:
        srv.enqueue(status=429, headers={"Retry-After": "1"})
        srv.enqueue(content="not json")                       # a chat answer, as given
        srv.enqueue(content='{"title": "…', finish_reason="length")
        srv.enqueue(status=400, error="response_format json_schema is not supported")
        settings.llm.base_url = srv.base_url                   # http://127.0.0.1:PORT/v1
        …
        srv.requests                                           # every request body, parsed
        srv.arrived, srv.answered, srv.max_in_flight           # when requests came and went

POST /v1/chat/completions takes the first queued Reply whose `when` accepts the request body (a
Reply without `when` accepts any); with none queued the default responder answers valid JSON for
the schema the request asked for (the json_schema response_format, else the ```json block the
prompt carries), made of recognisably fake Chinese text ("模拟…"), so an end-to-end run works.
Each request is served on its own thread, so delays overlap like a real server's.

Usage is made up and says so: prompt_tokens = characters of all message contents // 2 (about how
Chinese text tokenises), completion_tokens = characters of the answer // 2.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer. `content` is the chat answer (None: the default responder writes it)."""

    status: int = 200
    content: str | None = None
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # the error message for a status >= 400
    body: Any = None  # a whole response body (dict → JSON, str → as is); overrides the rest
    delay: float | None = None  # seconds before answering; None: the server's default
    when: Callable[[dict], bool] | None = None  # only for requests whose body it accepts


def message_text(body: dict) -> str:
    """All message contents of a request, joined: what a test searches a prompt in."""
    parts = []
    for m in body.get("messages", []):
        c = m.get("content")
        if isinstance(c, list):
            c = "".join(p.get("text", "") for p in c if isinstance(p, dict))
        parts.append(str(c or ""))
    return "\n".join(parts)


_SCHEMA_BLOCK = re.compile(r"```json\s*\n(\{.*?\})\s*\n```", re.S)


def requested_schema(body: dict) -> dict | None:
    """The JSON schema a request asks for: response_format json_schema, else a ```json block in the prompt."""
    rf = body.get("response_format") or {}
    if rf.get("type") == "json_schema":
        return rf.get("json_schema", {}).get("schema")
    for m in reversed(body.get("messages", [])):
        content = m.get("content")
        if isinstance(content, str) and (found := _SCHEMA_BLOCK.findall(content)):
            try:
                return json.loads(found[-1])
            except json.JSONDecodeError:
                continue
    return None


_ASSETS = ["美元", "黄金/白银", "A股", "美股", "原油", "日元"]
_STANCES = ["利多", "短期利空", "中性", "结构性利多", "分化", "利空"]


def _string(name: str, n: int, i: int) -> str:
    return {
        "asset": _ASSETS[i % len(_ASSETS)],
        "stance": _STANCES[i % len(_STANCES)],
        "title": f"模拟事件标题{n}：政策与市场共振",
        "headline": f"模拟总标题{n}：多重政策共振，市场关注流动性",
        "tags": f"模拟标签{i + 1}",
        "seo": f"模拟关键词{i + 1}",
        "summary": f"模拟概述（第{n}次回答）：某机构宣布了一项政策调整，市场关注其后续落地节奏。",
        "insight": f"模拟解读（第{n}次回答）：政策变化通过利率与风险偏好影响资产定价。\n\n"
        "1. **流动性**：资金面预期改善。\n2. **风险偏好**：市场情绪或阶段性回暖。",
        "text": "模拟理由：政策预期变化通过利率与风险偏好传导至该资产。",
        "takeaway": "模拟投资启示：关注政策落地节奏；规避高估值板块；留意下一次数据发布。",
    }.get(name, f"模拟{name}内容（第{n}次回答）")


def example(node: dict, root: dict, name: str = "", n: int = 1, i: int = 0) -> Any:
    """A value valid for a JSON schema node, with field-name-aware fake Chinese text."""
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return example(target, root, name, n, i)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            options = [o for o in node[key] if o.get("type") != "null"] or node[key]
            return example(options[0], root, name, n, i)
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        return {k: example(v, root, k, n, i) for k, v in node.get("properties", {}).items()}
    if kind == "array":
        count = max(node.get("minItems", 0), 3)
        count = min(count, node.get("maxItems", count))
        return [example(node.get("items", {}), root, name, n, j) for j in range(count)]
    if kind == "integer":
        return i + 1 if name == "n" else 1  # `n` numbers list entries (translations)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = _string(name, n, i)
    text = text[: node.get("maxLength", len(text))]
    return text + "。" * max(0, node.get("minLength", 0) - len(text))


def default_answer(body: dict, n: int) -> str:
    """What the server says when nothing is queued: JSON for the requested schema, else plain text."""
    schema = requested_schema(body)
    if schema is None:
        return f"模拟回答（第{n}次）。"
    return json.dumps(example(schema, schema, n=n), ensure_ascii=False)


class FakeLLMServer:
    """See the module docstring; a context manager, serving until the `with` block ends."""

    def __init__(self, *, delay: float = 0.0, model: str = "fake-model") -> None:
        self.delay = delay
        self.model = model
        self.requests: list[dict] = []  # request bodies in arrival order
        self.headers: list[dict[str, str]] = []  # request headers, same order
        self.statuses: list[int] = []  # the status each request got, in answer order
        self.arrived: list[float] = []  # time.time() each request arrived, same order as requests
        self.answered: list[float] = []  # time.time() each answer was sent, in answer order
        self.max_in_flight = 0
        self._queue: list[Reply] = []
        self._lock = threading.Lock()
        self._in_flight = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------------

    def enqueue(self, *replies: Reply, times: int = 1, **fields: Any) -> FakeLLMServer:
        """Queue replies: `enqueue(Reply(...), ...)` or `enqueue(status=500)`; `times` repeats them."""
        batch = list(replies) or [Reply(**fields)]
        with self._lock:
            self._queue.extend(batch * times)
        return self

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def prompt(self, index: int = -1) -> str:
        """The message text of one recorded request."""
        return message_text(self.requests[index])

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point briefing at this server."""
        return {
            "OPENAI_BASE_URL": self.base_url,
            "OPENAI_API_KEY": "sk-test-fake-key",
            "BRIEFING_MODEL": self.model,
        }

    def start(self) -> FakeLLMServer:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fakellm",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------------

    def _take(self, body: dict, headers: dict[str, str]) -> tuple[Reply, int]:
        with self._lock:
            self.arrived.append(time.time())
            self.requests.append(body)
            self.headers.append(headers)
            n = len(self.requests)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            for k, reply in enumerate(self._queue):
                if reply.when is None or reply.when(body):
                    return self._queue.pop(k), n
        return Reply(), n

    def _done(self, status: int) -> None:
        with self._lock:
            self._in_flight -= 1
            self.statuses.append(status)
            self.answered.append(time.time())

    def answer(
        self, body: dict, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes, float]:
        """(status, headers, payload, delay) for one chat-completions request body."""
        reply, n = self._take(body, headers or {})
        delay = self.delay if reply.delay is None else reply.delay
        if reply.body is not None:
            payload = (
                reply.body
                if isinstance(reply.body, str)
                else json.dumps(reply.body, ensure_ascii=False)
            )
        elif reply.status >= 400:
            err = {
                "message": reply.error or f"fake error {reply.status}",
                "type": "fake_error",
                "param": None,
                "code": None,
            }
            payload = json.dumps({"error": err}, ensure_ascii=False)
        else:
            content = default_answer(body, n) if reply.content is None else reply.content
            prompt_chars = len(message_text(body))
            usage = {
                "prompt_tokens": prompt_chars // 2,
                "completion_tokens": len(content) // 2,
                "total_tokens": prompt_chars // 2 + len(content) // 2,
            }
            payload = json.dumps(
                {
                    "id": f"chatcmpl-fake-{n}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", self.model),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": reply.finish_reason,
                            "logprobs": None,
                        }
                    ],
                    "usage": usage,
                },
                ensure_ascii=False,
            )
        return reply.status, reply.headers, payload.encode("utf-8"), delay


def _handler(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                self.close_connection = True

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send(
                    200,
                    json.dumps(
                        {"object": "list", "data": [{"id": server.model, "object": "model"}]}
                    ).encode(),
                )
            else:
                self._send(404, b'{"error": {"message": "not found"}}')

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, b'{"error": {"message": "not found"}}')
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, b'{"error": {"message": "request body is not JSON"}}')
                return
            seen = {k.lower(): v for k, v in self.headers.items()}
            status, headers, payload, delay = server.answer(body, seen)
            try:
                if delay:
                    time.sleep(delay)
                self._send(status, payload, headers)
            finally:
                server._done(status)

    return Handler
