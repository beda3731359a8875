"""Small PyAV helpers for stored videos: what a clip really is, and its first frame as a JPEG."""

import io
from dataclasses import dataclass

import av


@dataclass(frozen=True)
class ClipInfo:
    duration: float  # seconds, from the frames actually in the stream
    width: int
    height: int
    frames: int
    codec: str


def probe(data: bytes) -> ClipInfo:
    """Decode every frame header: the duration is what a player will show, not a claim."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = 0
        last_end = 0.0
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            frames += 1
            end = float((packet.pts + (packet.duration or 0)) * stream.time_base)
            last_end = max(last_end, end)
        start = float((stream.start_time or 0) * stream.time_base)
        return ClipInfo(
            duration=last_end - start,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            frames=frames,
            codec=stream.codec_context.name,
        )


def poster_jpeg(data: bytes, *, quality=4) -> bytes:
    """The first frame of an MP4 as a JPEG (PyAV's mjpeg encoder, so no imaging library)."""
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
    out = io.BytesIO()
    with av.open(out, "w", format="mjpeg") as jpeg:
        stream = jpeg.add_stream("mjpeg", rate=1)
        stream.width, stream.height = frame.width, frame.height
        stream.pix_fmt = "yuvj420p"
        stream.codec_context.qscale = quality
        image = frame.reformat(format="yuvj420p")
        image.pts = 0
        for packet in stream.encode(image):
            jpeg.mux(packet)
        for packet in stream.encode():
            jpeg.mux(packet)
    return out.getvalue()
