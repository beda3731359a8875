"""The signed video_url / poster_url: open without a key until they expire, never after."""

import pytest
from django.core import signing

from generations import services, storage
from generations.tests.test_read_generations import finished  # noqa: F401 - a fixture


def path_of(url):
    return url.split("127.0.0.1:8000", 1)[-1]


@pytest.mark.sqlite
def test_the_signed_urls_open_without_a_key(client, finished):  # noqa: F811
    url = storage.signed_url(finished.id, "poster", finished.poster.name)
    response = client.get(path_of(url))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


@pytest.mark.sqlite
def test_a_tampered_or_swapped_signature_is_refused(client, finished, funded):  # noqa: F811
    url = path_of(storage.signed_url(finished.id, "video", finished.video.name))
    assert client.get(url[:-2] + "xx").status_code == 404
    # A poster's signature does not open the video.
    poster_sig = storage.signed_url(finished.id, "poster", finished.poster.name).split("?s=")[1]
    assert client.get(url.split("?s=")[0] + "?s=" + poster_sig).status_code == 404
    # Another generation's signature does not open this one.
    other = services.generation_create(user=funded, model="veo-3", prompt="other", duration=4)
    other_sig = storage.signed_url(other.id, "video", "x").split("?s=")[1]
    assert client.get(url.split("?s=")[0] + "?s=" + other_sig).status_code == 404


@pytest.mark.sqlite
def test_an_expired_url_is_refused(client, finished, settings, monkeypatch):  # noqa: F811
    url = path_of(storage.signed_url(finished.id, "video", finished.video.name))
    assert client.get(url).status_code == 200
    settings.VIDEO_URL_TTL = -1  # every signature is now older than the TTL
    assert client.get(url).status_code == 404


@pytest.mark.sqlite
def test_a_signature_made_with_another_secret_is_refused(client, finished, settings):  # noqa: F811
    url = path_of(storage.signed_url(finished.id, "video", finished.video.name))
    settings.SECRET_KEY = "another secret " * 4
    assert client.get(url).status_code == 404
    assert signing  # the signature is django.core.signing's TimestampSigner
