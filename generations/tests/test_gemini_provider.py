"""The gemini provider against the fake Gemini server: the wire format, each failure's code, and
the key on both hops of the download."""

import base64
import io

import av
import httpx
import pytest

from generations.providers.base import ProviderError, VideoRequest
from generations.providers.gemini import GeminiProvider, credential_id_for
from tests.fakes.gemini_server import FakeGemini


@pytest.fixture
def fake():
    with FakeGemini(api_key="test-key", polls_until_done=1) as server:
        yield server


@pytest.fixture
def provider(fake):
    return GeminiProvider(api_key="test-key", base_url=fake.base_url)


def video_request(prompt="a drone shot over a misty forest", **overrides):
    fields = dict(
        generation_id="gen_test",
        upstream_model="veo-3.0-generate-001",
        prompt=prompt,
        duration=5,
        upstream_duration=6,
        aspect_ratio="16:9",
        resolution="720p",
    )
    return VideoRequest(**{**fields, **overrides})


def run_to_the_end(provider, request):
    """Submit, then poll until done (the fake finishes at the second poll); raises what poll raises."""
    operation = provider.submit(request)
    for _ in range(10):
        if (result := provider.poll(operation, request)).done:
            return result
    raise AssertionError("the operation never finished")


def mp4_seconds(data):
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return stream.frames / stream.average_rate, stream.codec_context.width


def test_it_submits_polls_and_downloads_the_mp4_with_the_key_on_both_hops(fake, provider):
    request = video_request()
    operation = provider.submit(request)
    assert operation.startswith("models/veo-3.0-generate-001/operations/")

    first = provider.poll(operation, request)
    assert first.done is False and first.video is None
    second = provider.poll(operation, request)

    assert second.done is True
    seconds, width = mp4_seconds(second.video)
    assert seconds == 6 and width == 1280  # the upstream length; trimming is the pipeline's job
    (download,) = fake.calls_to("download")
    (storage,) = fake.calls_to("storage")
    assert download.headers["x-goog-api-key"] == "test-key"
    assert storage.headers["x-goog-api-key"] == "test-key"
    assert storage.headers["host"].startswith("localhost:")  # really another origin


def test_it_sends_the_wire_format_and_never_seed_or_generate_audio(fake, provider):
    provider.submit(video_request(negative_prompt="people", aspect_ratio="9:16"))

    (create,) = fake.calls_to("create")
    assert create.path == "/v1beta/models/veo-3.0-generate-001:predictLongRunning"
    assert create.body == {
        "instances": [{"prompt": "a drone shot over a misty forest"}],
        "parameters": {
            "aspectRatio": "9:16",
            "durationSeconds": 6,
            "sampleCount": 1,
            "negativePrompt": "people",
        },
    }
    assert "seed" not in str(create.body) and "generateAudio" not in str(create.body)


def test_the_fake_refuses_vertex_only_parameters_like_google(fake):
    # So the test above is worth something: sending them would have failed.
    for name in ("seed", "generateAudio"):
        response = httpx.post(
            f"{fake.base_url}/v1beta/models/veo-3.0-generate-001:predictLongRunning",
            headers={"x-goog-api-key": "test-key"},
            json={"instances": [{"prompt": "x"}], "parameters": {name: 1, "durationSeconds": 8}},
        )
        assert response.status_code == 400
        assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_the_fake_storage_host_refuses_a_download_without_the_key(fake, provider):
    run_to_the_end(provider, video_request())
    storage_url = f"{fake.storage_url}{fake.calls_to('storage')[0].path}"

    assert httpx.get(storage_url).status_code == 403
    assert httpx.get(storage_url, headers={"x-goog-api-key": "test-key"}).status_code == 200


def test_it_sends_the_image_as_base64_with_its_mime_type(fake, provider):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    provider.submit(video_request(image=png, image_mime_type="image/png"))

    (create,) = fake.calls_to("create")
    image = create.body["instances"][0]["image"]
    assert image["mimeType"] == "image/png"
    assert base64.b64decode(image["bytesBase64Encoded"], validate=True) == png


def test_a_safety_filtered_result_fails_with_content_filtered_and_the_reason(provider):
    with pytest.raises(ProviderError) as caught:
        run_to_the_end(provider, video_request(prompt="fake:filtered a child on a bike"))
    assert caught.value.code == "content_filtered"
    assert "photorealistic children" in caught.value.message
    assert not caught.value.retryable


def test_a_429_is_retryable_after_the_retry_info_delay(fake, provider):
    fake.retry_delay = "53s"
    request = video_request(prompt="fake:429-once busy")

    with pytest.raises(ProviderError) as caught:
        provider.submit(request)
    assert caught.value.code == "upstream_unavailable"
    assert caught.value.retry_after == 53.0
    assert provider.submit(request).startswith("models/")


def test_a_500_is_retryable_and_the_next_try_succeeds(provider):
    request = video_request(prompt="fake:500-once hiccup")

    with pytest.raises(ProviderError) as caught:
        provider.submit(request)
    assert caught.value.code == "upstream_unavailable" and caught.value.retryable
    assert provider.submit(request).startswith("models/")


def test_a_400_is_an_invalid_request_and_never_retryable(provider):
    with pytest.raises(ProviderError) as caught:
        provider.submit(video_request(prompt="fake:400 nonsense"))
    assert caught.value.code == "upstream_invalid_request"
    assert "invalid argument" in caught.value.message
    assert not caught.value.retryable


def test_a_duration_upstream_lacks_is_refused_by_the_fake(provider):
    # veo-3 offers 4/6/8: asking 5 upstream would fail, which is why we ask 6 and trim.
    with pytest.raises(ProviderError) as caught:
        provider.submit(video_request(upstream_duration=5))
    assert caught.value.code == "upstream_invalid_request"


def test_a_failed_operation_is_not_retryable(provider):
    with pytest.raises(ProviderError) as caught:
        run_to_the_end(provider, video_request(prompt="fake:op-error"))
    assert caught.value.code == "upstream_unavailable" and not caught.value.retryable


def test_a_failed_download_is_retried_by_polling_again(fake, provider):
    request = video_request(prompt="fake:storage-503-once")

    with pytest.raises(ProviderError) as caught:
        run_to_the_end(provider, request)
    assert caught.value.code == "upstream_unavailable" and caught.value.retryable
    operation = fake.calls_to("poll")[0].path.removeprefix("/v1beta/")
    assert provider.poll(operation, request).video.startswith(b"\x00\x00\x00")
    assert len(fake.calls_to("storage")) == 2


def test_an_unreadable_poll_answer_is_retried_not_a_crash(provider):
    request = video_request(prompt="fake:garbled-poll")
    operation = provider.submit(request)

    with pytest.raises(ProviderError) as caught:
        provider.poll(operation, request)
    assert caught.value.code == "upstream_unavailable" and caught.value.retryable


def test_a_wrong_key_is_our_problem_not_an_invalid_request(fake):
    provider = GeminiProvider(api_key="not-the-key", base_url=fake.base_url)
    with pytest.raises(ProviderError) as caught:
        provider.submit(video_request())
    assert caught.value.code == "upstream_unavailable"
    assert "credentials" in caught.value.message and "not-the-key" not in caught.value.message


def test_an_unreachable_upstream_is_retryable():
    provider = GeminiProvider(api_key="test-key", base_url="http://127.0.0.1:9")
    with pytest.raises(ProviderError) as caught:
        provider.submit(video_request())
    assert caught.value.code == "upstream_unavailable" and caught.value.retryable


def test_it_never_sends_the_key_to_a_video_address_off_the_service(fake, provider):
    with pytest.raises(ProviderError):
        provider.download(f"{fake.storage_url}/gemini-files/anything")
    assert fake.calls == []


def test_a_generation_polls_with_the_key_it_was_started_with(settings):
    settings.GEMINI_API_KEY = "new-key"
    settings.GEMINI_RETIRED_API_KEYS = ["old-key"]

    provider = GeminiProvider.for_credential(credential_id_for("old-key"))

    assert provider.api_key == "old-key"
    assert len(provider.credential_id) == 8 and provider.credential_id not in "old-key"


def test_a_generation_whose_key_is_gone_fails_clearly(settings):
    settings.GEMINI_API_KEY = "new-key"
    settings.GEMINI_RETIRED_API_KEYS = []

    with pytest.raises(ProviderError) as caught:
        GeminiProvider.for_credential(credential_id_for("old-key"))
    assert caught.value.code == "upstream_credential_changed"
    assert credential_id_for("old-key") in caught.value.message
