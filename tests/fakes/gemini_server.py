"""A fake of Google's Gemini API Veo endpoints on loopback, speaking exactly WIRE.md's formats.

Two servers: the API (create, operation poll, file download) and a second "storage" origin the
download redirects to; both demand the `x-goog-api-key`. The prompt picks what goes wrong (or a
test sets `scenario`): "fake:filtered", "fake:429-once", "fake:429-always", "fake:500-once",
"fake:503-always", "fake:400", "fake:op-error", "fake:never-done", "fake:garbled-poll" (a proxy's
HTML page instead of the operation), "fake:storage-503-once" (the file host fails once). Everything the fake receives is recorded in `calls`, and
`max_in_flight` says how many operations were ever open at once.
"""

import base64
import binascii
import io
import json
import math
import secrets
import struct
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import av

SCENARIOS = (
    "filtered",
    "429-once",
    "429-always",
    "500-once",
    "503-always",
    "400",
    "op-error",
    "never-done",
    "garbled-poll",
    "storage-503-once",
)
DURATIONS = {"veo-2": {5, 6, 7, 8}, "veo-3": {4, 6, 8}}
KNOWN_MODELS = {
    "veo-3.1-generate-preview",
    "veo-3.1-fast-generate-preview",
    "veo-3.0-generate-001",
    "veo-3.0-fast-generate-001",
    "veo-2.0-generate-001",
}
VERTEX_ONLY = ("seed", "generateAudio")
STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}
STATUS_NAMES.update({429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"})
SIZES = {"16:9": (1280, 720), "9:16": (720, 1280)}


def make_mp4(*, seconds, aspect_ratio="16:9", fps=24):
    """A real H.264 + AAC clip of `seconds`, moving colour, as Veo 3 answers (it carries audio)."""
    width, height = SIZES[aspect_ratio]
    out_buffer = io.BytesIO()
    with av.open(out_buffer, "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "mono"
        for i in range(seconds * fps):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane, value in zip(
                frame.planes, (40 + i * 3 % 180, i * 5 % 256, 128), strict=True
            ):
                plane.update(bytes([value]) * plane.buffer_size)
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for start in range(0, seconds * 48000, 1024):
            samples = [0.2 * math.sin(2 * math.pi * 440 * (start + k) / 48000) for k in range(1024)]
            frame = av.AudioFrame(format="flt", layout="mono", samples=1024)
            frame.planes[0].update(struct.pack(f"<{len(samples)}f", *samples))
            frame.sample_rate, frame.pts = 48000, start
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return out_buffer.getvalue()


def rpc_error(status, message, details=()):
    """google.rpc.Status as the Gemini API answers it."""
    return {
        "error": {
            "code": status,
            "message": message,
            "status": STATUS_NAMES[status],
            "details": list(details),
        }
    }


@dataclass
class Call:
    origin: str  # "api" or "storage"
    method: str
    path: str
    headers: dict
    body: object = None
    at: float = field(default_factory=time.monotonic)  # when it arrived, to check retry delays


@dataclass
class Operation:
    name: str
    model: str
    prompt: str
    duration: int
    aspect_ratio: str
    scenario: str
    polls: int = 0
    done: bool = False
    file_id: str = field(default_factory=lambda: secrets.token_hex(8))


class FakeGemini:
    def __init__(self, *, api_key="test-key", polls_until_done=1, retry_delay="1s"):
        self.api_key = api_key
        self.polls_until_done = polls_until_done  # polls answering "not done" before "done"
        self.retry_delay = retry_delay  # RetryInfo.retryDelay on 429s
        self.scenario = None  # overrides the prompt's keyword for every request
        self.calls: list[Call] = []
        self.operations: dict[str, Operation] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._attempts: dict[str, int] = {}  # creates seen per prompt, for "...-once"
        self._videos: dict[tuple, bytes] = {}
        self._lock = threading.Lock()
        self._servers = []

    # --- lifecycle -------------------------------------------------------------------------

    def start(self):
        self._api = self._serve(self._handle_api)
        self._storage = self._serve(self._handle_storage)
        return self

    def stop(self):
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self._api.server_address[1]}"

    @property
    def storage_url(self):
        # Another host and port than the API, so a client that drops the key on a cross-origin
        # redirect (httpx does) is caught.
        return f"http://localhost:{self._storage.server_address[1]}"

    def _serve(self, handle):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                handle(self, fake._read(self))

            def do_POST(self):
                handle(self, fake._read(self))

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self._servers.append(server)
        return server

    # --- what tests look at ----------------------------------------------------------------

    def calls_to(self, kind):
        """kind: "create", "poll", "download" (API hop) or "storage" (the redirected hop)."""
        return [c for c in self.calls if self._kind(c) == kind]

    @staticmethod
    def _kind(call):
        if call.origin == "storage":
            return "storage"
        if call.path.endswith(":predictLongRunning"):
            return "create"
        if ":download" in call.path:
            return "download"
        return "poll"

    def video_for(self, operation):
        key = (operation.duration, operation.aspect_ratio)
        with self._lock:
            if key not in self._videos:
                self._videos[key] = make_mp4(seconds=key[0], aspect_ratio=key[1])
            return self._videos[key]

    # --- plumbing --------------------------------------------------------------------------

    def _read(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        origin = "api" if handler.server is self._api else "storage"
        call = Call(
            origin,
            handler.command,
            handler.path,
            {k.lower(): v for k, v in handler.headers.items()},
            body,
        )
        with self._lock:
            self.calls.append(call)
        return call

    @staticmethod
    def _send(handler, status, body=None, *, headers=None, content_type="application/json"):
        data = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _key_refusal(self, call):
        key = call.headers.get("x-goog-api-key")
        if not key:
            return 403, rpc_error(
                403,
                "Method doesn't allow unregistered callers (callers without established identity). "
                "Please use API Key or other form of API consumer identity to call this API.",
            )
        if key != self.api_key:
            return 400, rpc_error(
                400,
                "API key not valid. Please pass a valid API key.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                    }
                ],
            )
        return None

    # --- the API origin --------------------------------------------------------------------

    def _handle_api(self, handler, call):
        if refusal := self._key_refusal(call):
            return self._send(handler, *refusal)
        path = urlsplit(call.path).path
        if call.method == "POST" and path.startswith("/v1beta/models/"):
            model, _, verb = path.removeprefix("/v1beta/models/").partition(":")
            if verb == "predictLongRunning":
                return self._send(handler, *self._create(model, call.body))
        if (
            call.method == "GET"
            and path.startswith("/v1beta/files/")
            and path.endswith(":download")
        ):
            return self._download(handler, path, call.path)
        if call.method == "GET" and path.startswith("/v1beta/models/") and "/operations/" in path:
            operation = self.operations.get(path.removeprefix("/v1beta/"))
            if operation and operation.scenario == "garbled-poll":
                page = b"<html><body>Bad gateway</body></html>"
                return self._send(handler, 200, page, content_type="text/html")
            return self._send(handler, *self._poll(path.removeprefix("/v1beta/")))
        return self._send(handler, 404, rpc_error(404, f"Not found: {call.method} {path}"))

    def _scenario_for(self, prompt):
        if self.scenario:
            return self.scenario
        for scenario in SCENARIOS:
            if f"fake:{scenario}" in prompt:
                return scenario
        return "ok"

    def _create(self, model, body):
        if model not in KNOWN_MODELS:
            return 404, rpc_error(
                404,
                f"models/{model} is not found for API version v1beta, or is not supported for "
                "predictLongRunning.",
            )
        if not isinstance(body, dict) or not body.get("instances"):
            return 400, rpc_error(400, "Invalid JSON payload received.")
        instance, parameters = body["instances"][0], body.get("parameters") or {}
        for name in VERTEX_ONLY:
            if name in parameters or name in instance:
                return 400, rpc_error(400, f"`{name}` isn't supported by this model.")
        prompt = instance.get("prompt") or ""
        duration = parameters.get("durationSeconds", 8)
        aspect_ratio = parameters.get("aspectRatio", "16:9")
        family = "veo-2" if model.startswith("veo-2") else "veo-3"
        if duration not in DURATIONS[family]:
            return 400, rpc_error(
                400, f"The number value for `durationSeconds` is out of bound: {duration}."
            )
        if aspect_ratio not in SIZES:
            return 400, rpc_error(400, f"Unsupported aspect ratio: {aspect_ratio}.")
        if image := instance.get("image"):
            if image.get("mimeType") not in ("image/png", "image/jpeg", "image/webp"):
                return 400, rpc_error(400, "Unsupported MIME type for `image`.")
            try:
                base64.b64decode(image.get("bytesBase64Encoded") or "", validate=True)
            except (binascii.Error, ValueError):
                return 400, rpc_error(400, "Invalid value at 'instances[0].image'.")

        scenario = self._scenario_for(prompt)
        with self._lock:
            attempt = self._attempts[prompt] = self._attempts.get(prompt, 0) + 1
        if scenario == "400":
            return 400, rpc_error(400, "Request contains an invalid argument.")
        if scenario == "429-always" or (scenario == "429-once" and attempt == 1):
            return 429, rpc_error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                [
                    {
                        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [{"quotaMetric": "generativelanguage.googleapis.com/"}],
                    },
                    {
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": self.retry_delay,
                    },
                ],
            )
        if scenario == "500-once" and attempt == 1:
            return 500, rpc_error(500, "An internal error has occurred.")
        if scenario == "503-always":
            return 503, rpc_error(503, "The model is overloaded. Please try again later.")

        name = f"models/{model}/operations/{secrets.token_hex(6)}"
        operation = Operation(name, model, prompt, duration, aspect_ratio, scenario)
        with self._lock:
            self.operations[name] = operation
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        return 200, {"name": name}

    def _poll(self, name):
        with self._lock:
            operation = self.operations.get(name)
            if operation is None:
                return 404, rpc_error(404, f"Operation {name} not found.")
            operation.polls += 1
            finishes = operation.scenario != "never-done"
            if finishes and not operation.done and operation.polls > self.polls_until_done:
                operation.done = True
                self.in_flight -= 1
        if not operation.done:
            return 200, {"name": name, "done": False}
        if operation.scenario == "op-error":
            return 200, {
                "name": name,
                "done": True,
                "error": {"code": 13, "message": "Video generation failed.", "details": []},
            }
        response = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
        }
        if operation.scenario == "filtered":
            response["generateVideoResponse"] = {
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": [
                    "Sorry, we can't create videos from input images containing photorealistic "
                    "children. Please try a different image."
                ],
            }
        else:
            uri = f"{self.base_url}/v1beta/files/{operation.file_id}:download?alt=media"
            response["generateVideoResponse"] = {"generatedSamples": [{"video": {"uri": uri}}]}
        return 200, {"name": name, "done": True, "response": response}

    def _operation_by_file(self, file_id):
        with self._lock:
            return next((o for o in self.operations.values() if o.file_id == file_id), None)

    def _download(self, handler, path, full_path):
        file_id = path.removeprefix("/v1beta/files/").removesuffix(":download")
        if parse_qs(urlsplit(full_path).query).get("alt") != ["media"]:
            return self._send(handler, 400, rpc_error(400, "alt=media is required."))
        operation = self._operation_by_file(file_id)
        if operation is None or not operation.done:
            return self._send(handler, 404, rpc_error(404, f"File {file_id} not found."))
        location = f"{self.storage_url}/gemini-files/{file_id}?token={secrets.token_hex(4)}"
        return self._send(
            handler, 302, b"", headers={"Location": location}, content_type="text/html"
        )

    # --- the storage origin ----------------------------------------------------------------

    def _handle_storage(self, handler, call):
        if refusal := self._key_refusal(call):
            return self._send(handler, *refusal)
        file_id = urlsplit(call.path).path.removeprefix("/gemini-files/")
        operation = self._operation_by_file(file_id)
        if call.method != "GET" or operation is None:
            return self._send(handler, 404, rpc_error(404, "Not found."))
        tries = [c for c in self.calls_to("storage") if file_id in c.path]
        if operation.scenario == "storage-503-once" and len(tries) == 1:
            return self._send(handler, 503, rpc_error(503, "Backend unavailable."))
        return self._send(handler, 200, self.video_for(operation), content_type="video/mp4")
