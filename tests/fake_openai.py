"""A real HTTP server on loopback that speaks the OpenAI chat-completions protocol.

Tests script its replies (a JSON answer, invalid JSON, an error status, a delay) and read
back every request it received, so the client is exercised over the wire, never patched.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str | None = None  # the assistant message text
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    usage: tuple[int, int] = (120, 40)


Responder = Callable[[dict[str, Any]], Reply]
ROLES = {"system", "user", "assistant"}  # a repair round sends the model's earlier answer as "assistant"


class FakeOpenAI:
    """`replies` are served in order (the last one repeats); or set `responder` to compute each reply."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [Reply(content="{}")]
        self.responder: Responder | None = None
        self.requests: list[dict[str, Any]] = []
        self.headers_seen: list[dict[str, str]] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies = list(replies)

    def bodies_text(self) -> str:
        """Everything the server was sent, as one string (for leak checks)."""
        return "\n".join(json.dumps(r) for r in self.requests)

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            responder = self.responder
            if responder is None:
                return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return responder(body)  # outside the lock: concurrent requests stay concurrent

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
                fake.paths.append(self.path)
                if not self.path.split("?")[0].rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": f"no route {self.path}"}})
                    return
                roles = [m.get("role") for m in body.get("messages", [])]
                if not roles or (roles[0] != "system" and "system" in roles) or not set(roles) <= ROLES:
                    self._json(400, {"error": {"message": f"bad message roles {roles}", "type": "invalid_request"}})
                    return
                reply = fake._next(body)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    self._json(
                        reply.status, {"error": {"message": f"scripted {reply.status}", "type": "server"}}, reply
                    )
                    return
                prompt, completion = reply.usage
                self._json(
                    200,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", "fake-model"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply.content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": prompt,
                            "completion_tokens": completion,
                            "total_tokens": prompt + completion,
                        },
                    },
                    reply,
                )

            def _json(self, status: int, payload: dict[str, Any], reply: Reply | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (reply.headers if reply else {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler


def llm_settings(tmp_path: Any, fake: FakeOpenAI, **extra: Any) -> Any:
    """A fresh workspace (the real local model, in-memory index) whose LLM is this fake server.

    The offline reading the LLM's answer is checked against is the real triage's, as a user's would be.
    """
    from fieldsignal.settings import load_settings

    values: dict[str, Any] = {
        "home": tmp_path / "ws",
        "embedder": "minilm",
        "tune_encoder": False,  # as the other tests on the real model (see conftest.TUNE_ENCODER)
        "vectorstore": "memory",
        "llm_model": "fake-model",
        "llm_base_url": fake.base_url,
        "llm_api_key": "sk-test",
        "llm_use": "always",
        "llm_timeout_seconds": 2.0,
        "llm_max_retries": 1,
    }
    return load_settings(env={}, **(values | extra))
