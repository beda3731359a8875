"""A tiny threaded HTTP receiver on loopback for delivery tests: it answers from a script of
status codes (or stalls) and keeps every request it got."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float = field(default_factory=time.time)


class Receiver:
    """`script` lists what to answer, one item per request (the last repeats): an HTTP status
    code, or ("stall", seconds) to wait that long before answering 200."""

    def __init__(self, script=(200,)):
        self.script = list(script)
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                step = receiver.script[min(len(receiver.requests), len(receiver.script)) - 1]
                status = 200
                if isinstance(step, tuple):
                    time.sleep(step[1])
                else:
                    status = step
                payload = b'{"ok": true}' if status < 300 else b'{"error": "nope"}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting, as it should

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.base + "/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
