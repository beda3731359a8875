"""Trimming an upstream clip to the asked length: exact to the frame, audio kept, short clips kept."""

import io

import av

from generations.trim import mp4_trim
from tests.fakes.gemini_server import make_mp4


def probe(data):
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        audio = container.streams.audio[0] if container.streams.audio else None
        return {
            "frames": frames,
            "seconds": frames / video.average_rate,
            "size": (video.codec_context.width, video.codec_context.height),
            "audio_seconds": float(audio.duration * audio.time_base) if audio else None,
        }


def test_it_cuts_a_six_second_clip_to_five_seconds_to_the_frame():
    trimmed = probe(mp4_trim(make_mp4(seconds=6), seconds=5))

    assert trimmed["frames"] == 5 * 24
    assert trimmed["seconds"] == 5
    assert trimmed["size"] == (1280, 720)
    assert 5 - 1 / 24 <= trimmed["audio_seconds"] <= 5 + 1 / 24


def test_it_keeps_the_aspect_ratio_of_a_portrait_clip():
    trimmed = probe(mp4_trim(make_mp4(seconds=8, aspect_ratio="9:16"), seconds=7))

    assert trimmed["frames"] == 7 * 24
    assert trimmed["size"] == (720, 1280)


def test_a_clip_no_longer_than_asked_comes_back_unchanged():
    clip = make_mp4(seconds=4)
    assert mp4_trim(clip, seconds=4) is clip
