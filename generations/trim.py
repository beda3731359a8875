"""Cut an MP4 to its first N seconds with PyAV, for when upstream only offers a longer clip.

We charge for the asked length, so the delivered clip must be exactly that long (to the frame).
"""

import io
from fractions import Fraction

import av


def mp4_trim(data: bytes, *, seconds: float) -> bytes:
    """Answer the first `seconds` of the MP4 in `data` (video re-encoded, audio copied).

    Video is re-encoded because cutting compressed H.264 at an arbitrary frame breaks the
    B-frames that refer to frames after the cut; audio packets stand alone, so they are copied.
    A clip already no longer than `seconds` comes back unchanged.
    """
    with av.open(io.BytesIO(data)) as source:
        video_in = source.streams.video[0]
        audio_in = source.streams.audio[0] if source.streams.audio else None
        rate = video_in.average_rate or video_in.guessed_rate or Fraction(24)
        frames_wanted = round(seconds * rate)
        if video_in.frames and video_in.frames <= frames_wanted:
            return data

        out_buffer = io.BytesIO()
        with av.open(out_buffer, "w", format="mp4") as target:
            video_out = target.add_stream("libx264", rate=rate)
            video_out.width = video_in.codec_context.width
            video_out.height = video_in.codec_context.height
            video_out.pix_fmt = "yuv420p"
            video_out.options = {"preset": "veryfast", "crf": "18"}
            audio_out = target.add_stream_from_template(audio_in) if audio_in else None

            frames_written = 0
            streams = [video_in] + ([audio_in] if audio_in else [])
            # demux ends with an empty packet per stream, which flushes the decoder's held frames.
            for packet in source.demux(*streams):
                if packet.stream is video_in:
                    for frame in packet.decode():
                        if frames_written < frames_wanted:
                            frame = frame.reformat(format="yuv420p")
                            frame.pts = frames_written
                            frame.time_base = 1 / Fraction(rate)
                            frames_written += 1
                            target.mux(video_out.encode(frame))
                elif packet.pts is not None and packet.pts * packet.time_base < seconds:
                    packet.stream = audio_out
                    target.mux(packet)
            target.mux(video_out.encode(None))
        return out_buffer.getvalue()
