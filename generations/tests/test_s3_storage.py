"""On S3-compatible storage, videos and posters go to the bucket through Django's storage API,
and video_url is the storage's own presigned URL, which opens without any key."""

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from generations import mp4
from generations.objects import generation_to_dict
from generations.tests.conftest import auth, finish
from generations.tests.fake_s3 import FakeS3


@pytest.fixture
def s3(settings, monkeypatch):
    monkeypatch.setenv("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
    with FakeS3() as fake:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "storages.backends.s3.S3Storage"},
        }
        settings.AWS_STORAGE_BUCKET_NAME = "videos"
        settings.AWS_S3_ENDPOINT_URL = fake.url
        settings.AWS_S3_REGION_NAME = "us-east-1"
        settings.AWS_S3_ADDRESSING_STYLE = "path"
        settings.AWS_S3_ACCESS_KEY_ID = "AKIAFAKE"
        settings.AWS_S3_SECRET_ACCESS_KEY = "fake-secret"
        settings.AWS_QUERYSTRING_EXPIRE = settings.VIDEO_URL_TTL
        yield fake


def test_videos_go_to_the_bucket_and_video_url_is_presigned(
    client, s3, funded, alice_key, settings
):
    settings.SIMULATOR_LATENCY = 0
    settings.VIDEO_PROVIDER = "simulator"
    generation = finish(funded, model="veo-2", prompt="to s3", duration=5)
    assert generation.status == "succeeded"
    assert ("videos", f"videos/{generation.id}.mp4") in s3.objects
    assert ("videos", f"posters/{generation.id}.jpg") in s3.objects

    body = generation_to_dict(generation)
    assert body["video_url"].startswith(f"{s3.url}/videos/videos/{generation.id}.mp4?")
    query = parse_qs(urlsplit(body["video_url"]).query)
    if "X-Amz-Expires" in query:  # SigV4
        assert query["X-Amz-Expires"] == [str(settings.VIDEO_URL_TTL)]
    else:  # SigV2: an absolute expiry time
        assert abs(int(query["Expires"][0]) - time.time() - settings.VIDEO_URL_TTL) < 60
    video = httpx.get(body["video_url"])  # no key of ours: the URL is the permission
    assert video.status_code == 200
    assert abs(mp4.probe(video.content).duration - 5) <= 1 / 24
    part = httpx.get(body["video_url"], headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == video.content[:10]

    content = client.get(
        f"/v1/video/generations/{generation.id}/content", HTTP_RANGE="bytes=5-14", **auth(alice_key)
    )
    assert content.status_code == 206
    assert b"".join(content.streaming_content) == video.content[5:15]
