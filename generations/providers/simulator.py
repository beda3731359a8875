"""The built-in stand-in for Veo: no network, a real H.264 MP4 of the prompt's text over moving
colour, with a configurable latency and failure rate. Stateless: the operation name carries the
time of submission, so any worker can answer a poll."""

import hashlib
import math
import tempfile
import textwrap
import time

import av
from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from .base import PollResult, Provider, ProviderError, VideoRequest

FPS = 24
# ultrafast + zerolatency (no lookahead, no B-frames) keeps a 5 s clip well under 10% of real time.
X264_OPTIONS = {"preset": "ultrafast", "tune": "zerolatency", "crf": "28"}
SIZES = {"16:9": (1280, 720), "9:16": (720, 1280)}


class SimulatorProvider(Provider):
    name = "simulator"
    credential_id = ""

    def __init__(self, *, latency=None, failure_rate=None):
        self.latency = settings.SIMULATOR_LATENCY if latency is None else latency
        self.failure_rate = (
            settings.SIMULATOR_FAILURE_RATE if failure_rate is None else failure_rate
        )
        # A few polls per generation, so the progress people watch moves.
        self.poll_interval = max(0.2, min(2.0, self.latency / 4))

    def submit(self, request: VideoRequest) -> str:
        return f"simulator/operations/{request.generation_id}/{time.time():.3f}"

    def poll(self, operation: str, request: VideoRequest) -> PollResult:
        try:
            submitted = float(operation.rsplit("/", 1)[1])
        except (IndexError, ValueError) as exc:
            raise ProviderError("upstream_invalid_request", "Unknown simulator operation.") from exc
        # Clocks of different workers may disagree a little: never below zero.
        elapsed = max(0.0, time.time() - submitted)
        if elapsed < self.latency:
            return PollResult(done=False, progress=min(99, int(100 * elapsed / self.latency)))
        if self._fails(operation):
            raise ProviderError(
                "simulated_failure",
                "The simulator failed this generation on purpose (SIMULATOR_FAILURE_RATE).",
            )
        video = render_clip(request.prompt, request.duration, request.aspect_ratio)
        return PollResult(done=True, progress=100, video=video)

    def _fails(self, operation):
        # Decided by the operation name, so a repeated poll gives the same answer.
        digest = hashlib.sha256(operation.encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 < self.failure_rate


def _font(size):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow built without FreeType: the small bitmap font
        return ImageFont.load_default()


def _text_luma(prompt, width, height):
    """The frame's luma plane: a soft vertical gradient with the prompt in white on top."""
    background = b"".join(bytes([48 + (40 * y) // height]) * width for y in range(height))
    image = Image.frombytes("L", (width, height), background)
    draw = ImageDraw.Draw(image)
    size = max(28, width // 24)
    font = _font(size)
    lines = textwrap.wrap(prompt, width=max(10, int(width / (size * 0.55))))[:6] or [" "]
    line_height = int(size * 1.3)
    top = (height - line_height * len(lines)) // 2
    for index, line in enumerate(lines):
        left, _, right, _ = draw.textbbox((0, 0), line, font=font)
        x = (width - (right - left)) // 2
        y = top + index * line_height
        draw.text((x + 2, y + 2), line, font=font, fill=16)  # shadow keeps it readable
        draw.text((x, y), line, font=font, fill=235)
    draw.text((24, height - 72), "SIMULATED", font=_font(max(16, size // 2)), fill=200)
    return image.tobytes()


def _padded(rows_bytes, width, line_size, height):
    if line_size == width:
        return rows_bytes
    pad = bytes(line_size - width)
    return b"".join(rows_bytes[y * width : (y + 1) * width] + pad for y in range(height))


def render_clip(prompt: str, duration: int, aspect_ratio: str) -> bytes:
    """An H.264 MP4 of exactly duration * 24 frames at 720p: the text stays, the colours flow
    sideways and a bar at the bottom grows with time, so a player visibly plays and seeks."""
    width, height = SIZES[aspect_ratio]
    frames = duration * FPS
    luma = _text_luma(prompt, width, height)

    # A real file, not BytesIO: faststart (the index first, so browsers play while loading)
    # rewrites the file after encoding.
    with tempfile.NamedTemporaryFile(suffix=".mp4") as out:
        _encode(out.name, luma, width, height, frames)
        return out.read()


def _encode(path, luma, width, height, frames):
    chroma_w, chroma_h = width // 2, height // 2
    # One period of a hue wave, twice over, so each frame is a slice of it.
    wave_u = bytes(int(128 + 70 * math.sin(2 * math.pi * x / chroma_w)) for x in range(chroma_w))
    wave_v = bytes(int(128 + 70 * math.cos(2 * math.pi * x / chroma_w)) for x in range(chroma_w))
    wave_u, wave_v = wave_u * 2, wave_v * 2
    bar_top, bar_height = height - 24, 12
    luma_top, luma_bottom = luma[: bar_top * width], luma[(bar_top + bar_height) * width :]
    with av.open(path, "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = dict(X264_OPTIONS)
        frame = av.VideoFrame(width, height, "yuv420p")
        y_plane, u_plane, v_plane = frame.planes
        for index in range(frames):
            shift = (index * 4) % chroma_w
            filled = width * (index + 1) // frames
            bar_row = bytes([220]) * filled + luma[bar_top * width + filled : (bar_top + 1) * width]
            y = luma_top + bar_row * bar_height + luma_bottom
            y_plane.update(_padded(y, width, y_plane.line_size, height))
            u_row = wave_u[shift : shift + chroma_w] + bytes(u_plane.line_size - chroma_w)
            v_row = wave_v[shift : shift + chroma_w] + bytes(v_plane.line_size - chroma_w)
            u_plane.update(u_row * chroma_h)
            v_plane.update(v_row * chroma_h)
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
