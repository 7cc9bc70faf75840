"""A local HTTP server for outgoing-call tests: records what it receives and answers with a
chosen status and body, or never answers (``hang``) until the test ends."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    status: int = 200
    body: bytes = b'{"ok": true}'
    hang: bool = False
    # Optional: (request) -> (status, body bytes) for servers that speak a format.
    respond: Callable[[Received], tuple[int, bytes]] | None = None
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                got = Received(self.command, self.path, dict(self.headers), self.rfile.read(length))
                receiver.received.append(got)
                if receiver.hang:
                    receiver._release.wait(30)
                    return
                status, body = receiver.respond(got) if receiver.respond else (receiver.status, receiver.body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET = do_PUT = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
