"""The real gemini provider through the whole product: the /v1 API on a real server, a real Celery
worker, and the fake Gemini server on loopback. Each upstream outcome ends in the right status,
error code and ledger entry, and the upstream limits hold."""

import base64
import io
import struct
import time
import zlib

import av
import httpx
import pytest

from accounts.services import api_key_create
from billing.models import Hold
from billing.selectors import Balance, balance_get
from billing.services import credits_top_up
from generations.models import Generation
from ops.models import Plan
from tests.fakes.gemini_server import FakeGemini

CREDITS = 10_000
VEO_3_PRICE = 40  # credits per second, as the seed migration sets it


@pytest.fixture
def fake():
    with FakeGemini(api_key="test-key", polls_until_done=1, retry_delay="1s") as server:
        yield server


@pytest.fixture
def customer(alice):
    # Bought, not granted: 10,000 credits of top-ups put the account on a plan that lets it have
    # more than two generations going at once (ops' per-account cap is not under test here).
    Plan.objects.update_or_create(
        min_lifetime_topup_credits=CREDITS,
        defaults={"name": "Scale", "requests_per_minute": 300, "max_in_flight": 20},
    )
    credits_top_up(user=alice, amount=CREDITS, reference="test-top-up", description="test")
    _, raw_key = api_key_create(user=alice, name="test")
    return alice, {"Authorization": f"Bearer {raw_key}"}


@pytest.fixture
def gemini_env(fake):
    """gemini_env(**overrides) -> the environment of processes that talk to the fake."""

    def env(**overrides):
        return {
            "GEMINI_API_KEY": "test-key",
            "GEMINI_BASE_URL": fake.base_url,
            "VIDEO_PROVIDER": "gemini",
            "GEMINI_POLL_INTERVAL": "0.3",
            "GEMINI_RETRY_BACKOFF": "0.2",
            "GEMINI_MAX_ATTEMPTS": "3",
            "GEMINI_RPM": "1000",
            **overrides,
        }

    return env


@pytest.fixture
def stack(start_server, start_worker, gemini_env):
    """stack(**env) -> the base URL of a server and a worker that talk to the fake."""

    def start(concurrency=4, **overrides):
        base = start_server(**gemini_env(**overrides))
        start_worker(concurrency=concurrency, **gemini_env(**overrides))
        return base

    return start


def enqueue_again(task, generation_ids):
    """start_worker empties the queue (other tests' left-overs), which also drops tasks queued
    before it ran: enqueue them again, as the periodic sweep would. The tasks are idempotent."""
    from generations import tasks

    for generation_id in generation_ids:
        getattr(tasks, task).delay(generation_id)


def create(base, headers, prompt, **fields):
    body = {"model": "veo-3", "prompt": prompt, "duration": 4, "aspect_ratio": "16:9", **fields}
    response = httpx.post(f"{base}/v1/video/generations", headers=headers, json=body, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "queued"
    return response.json()["id"]


def wait_settled(generation_ids, processes, timeout=90):
    """Watch the rows (not the API: polling it this fast would meet our own rate limit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses = dict(
            Generation.objects.filter(pk__in=generation_ids).values_list("id", "status")
        )
        if all(statuses.get(i) in ("succeeded", "failed") for i in generation_ids):
            return
        time.sleep(0.2)
    rows = Generation.objects.filter(pk__in=generation_ids).values(
        "prompt", "status", "attempts", "submitted_at", "next_poll_at"
    )
    raise AssertionError(f"not settled: {list(rows)}\n{processes.log('worker0')[-6000:]}")


def fetch(base, headers, generation_id):
    response = httpx.get(f"{base}/v1/video/generations/{generation_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def clip(data):
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        return frames / stream.average_rate, stream.codec_context.width, stream.codec_context.height


def test_a_veo_3_clip_of_5_seconds_is_made_at_6_trimmed_to_5_and_charged_5(
    stack, customer, fake, processes
):
    user, headers = customer
    base = stack()

    generation_id = create(base, headers, "a drone shot over a misty forest", duration=5)
    wait_settled([generation_id], processes)

    answer = fetch(base, headers, generation_id)
    assert answer["status"] == "succeeded", answer
    assert answer["cost"] == 5 * VEO_3_PRICE
    (create_call,) = fake.calls_to("create")
    assert create_call.body["parameters"]["durationSeconds"] == 6
    video = httpx.get(answer["video_url"])  # signed: no key needed
    assert video.status_code == 200
    assert clip(video.content) == (5, 1280, 720)

    assert Hold.objects.get(reference=generation_id).state == "captured"
    assert balance_get(user=user) == Balance(available=CREDITS - 5 * VEO_3_PRICE, held=0)

    generation = Generation.objects.get(pk=generation_id)
    assert generation.provider == "gemini"
    assert generation.operation_name == fake.calls_to("poll")[0].path.removeprefix("/v1beta/")
    assert len(generation.credential_id) == 8 and generation.credential_id not in "test-key"
    assert generation.upstream_latency_ms > 0
    # The key went with both hops of the download (the second is another host), and nowhere
    # did seed or generateAudio appear.
    assert [c.headers.get("x-goog-api-key") for c in fake.calls] == ["test-key"] * len(fake.calls)
    assert len(fake.calls_to("download")) == 1 and len(fake.calls_to("storage")) == 1
    assert "seed" not in str(create_call.body) and "generateAudio" not in str(create_call.body)


def png_1x1():
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_an_image_to_video_request_sends_the_image_inline_with_its_type(
    stack, customer, fake, processes
):
    _, headers = customer
    base = stack()
    png = png_1x1()
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()

    generation_id = create(base, headers, "the picture comes alive", image=data_url)
    wait_settled([generation_id], processes)

    assert fetch(base, headers, generation_id)["status"] == "succeeded"
    (create_call,) = fake.calls_to("create")
    image = create_call.body["instances"][0]["image"]
    assert image["mimeType"] == "image/png"
    assert base64.b64decode(image["bytesBase64Encoded"]) == png


OUTCOMES = [
    # prompt, status, error code, hold, create requests the fake saw
    ("fake:filtered a child on a bike", "failed", "content_filtered", "released", 1),
    ("fake:429-once busy hour", "succeeded", None, "captured", 2),
    ("fake:429-always quota gone", "failed", "upstream_unavailable", "released", 3),
    ("fake:500-once hiccup", "succeeded", None, "captured", 2),
    ("fake:400 nonsense", "failed", "upstream_invalid_request", "released", 1),
    ("fake:op-error broken", "failed", "upstream_unavailable", "released", 1),
    ("fake:storage-503-once file host hiccup", "succeeded", None, "captured", 1),
]


def test_each_upstream_outcome_ends_in_the_right_status_code_and_ledger_entry(
    start_server, start_worker, gemini_env, customer, fake, processes
):
    user, headers = customer
    base = start_server(**gemini_env())

    # All are created before the worker starts, so only upstream's answers decide what happens.
    ids = {prompt: create(base, headers, prompt) for prompt, *_ in OUTCOMES}
    start_worker(concurrency=4, **gemini_env())
    enqueue_again("generation_start", ids.values())
    wait_settled(list(ids.values()), processes)

    for prompt, status, code, hold, creates in OUTCOMES:
        answer = fetch(base, headers, ids[prompt])
        assert answer["status"] == status, (prompt, answer)
        assert (answer["error"] or {}).get("code") == code, (prompt, answer)
        assert Hold.objects.get(reference=ids[prompt]).state == hold, prompt
        seen = [c for c in fake.calls_to("create") if c.body["instances"][0]["prompt"] == prompt]
        assert len(seen) == creates, prompt
    filtered = fetch(base, headers, ids[OUTCOMES[0][0]])
    assert "photorealistic children" in filtered["error"]["message"]

    # A 429 is retried no sooner than its RetryInfo.retryDelay (1 s here) says.
    first, second = (c for c in fake.calls_to("create") if "429-once" in str(c.body))
    assert second.at - first.at >= 1.0
    succeeded = sum(1 for _, status, *_ in OUTCOMES if status == "succeeded")
    assert balance_get(user=user) == Balance(
        available=CREDITS - succeeded * 4 * VEO_3_PRICE, held=0
    )
    for call in fake.calls_to("create"):
        assert "seed" not in str(call.body) and "generateAudio" not in str(call.body)


@pytest.mark.sqlite
def test_no_more_than_the_in_flight_cap_are_open_upstream_and_all_finish(
    start_server, start_worker, gemini_env, customer, fake, processes
):
    user, headers = customer
    fake.polls_until_done = 3
    base = start_server(**gemini_env(GEMINI_MAX_IN_FLIGHT="2"))

    ids = [create(base, headers, f"lighthouse number {n}") for n in range(5)]
    # Four worker processes could have all five open at once; the cap must stop them.
    start_worker(concurrency=4, **gemini_env(GEMINI_MAX_IN_FLIGHT="2"))
    enqueue_again("generation_start", ids)
    queued_while_full = 0
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        statuses = list(Generation.objects.filter(pk__in=ids).values_list("status", flat=True))
        if statuses.count("running") == 2:
            queued_while_full = max(queued_while_full, statuses.count("queued"))
        if all(s in ("succeeded", "failed") for s in statuses):
            break
        time.sleep(0.1)
    wait_settled(ids, processes)

    assert fake.max_in_flight == 2
    assert queued_while_full == 3  # the rest waited their turn in the queue instead of failing
    assert set(Generation.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "succeeded"
    }
    assert len(fake.calls_to("create")) == 5
    assert balance_get(user=user) == Balance(available=CREDITS - 5 * 4 * VEO_3_PRICE, held=0)


def test_a_generation_without_a_result_by_the_deadline_fails_and_releases(
    stack, customer, processes
):
    user, headers = customer
    base = stack(GEMINI_DEADLINE="2")

    generation_id = create(base, headers, "fake:never-done the slowest sunrise")
    wait_settled([generation_id], processes)

    answer = fetch(base, headers, generation_id)
    assert answer["status"] == "failed"
    assert answer["error"]["code"] == "upstream_timeout"
    assert Hold.objects.get(reference=generation_id).state == "released"
    assert balance_get(user=user) == Balance(available=CREDITS, held=0)


def switch_worker_mid_operation(*, fake, processes, start_worker, generation_id, **env):
    """Once the operation is being polled, stop the worker and start one configured with `env`
    (a rotated Gemini key); the operation then finishes at its next poll."""
    deadline = time.monotonic() + 30
    while not fake.calls_to("poll") and time.monotonic() < deadline:
        time.sleep(0.2)
    old_worker = processes.running[-1][0]
    old_worker.terminate()
    old_worker.wait(timeout=15)
    fake.polls_until_done = 0
    start_worker(GEMINI_BASE_URL=fake.base_url, GEMINI_POLL_INTERVAL="0.3", **env)
    enqueue_again("generation_poll", [generation_id])
    wait_settled([generation_id], processes)


def test_polls_use_the_key_the_generation_started_with_after_the_key_changes(
    stack, start_worker, customer, fake, processes
):
    """LiteLLM's bug: polling with whatever key is configured now. Ours binds the key: a worker
    that only knows the new key refuses the old operation clearly instead of using the wrong key."""
    user, headers = customer
    fake.polls_until_done = 10_000
    base = stack()
    generation_id = create(base, headers, "a kite over the dunes")

    switch_worker_mid_operation(
        fake=fake,
        processes=processes,
        start_worker=start_worker,
        generation_id=generation_id,
        GEMINI_API_KEY="rotated-key",
    )

    answer = fetch(base, headers, generation_id)
    assert answer["status"] == "failed"
    assert answer["error"]["code"] == "upstream_credential_changed"
    assert all(c.headers.get("x-goog-api-key") == "test-key" for c in fake.calls)
    assert balance_get(user=user) == Balance(available=CREDITS, held=0)


def test_a_retired_key_still_finishes_the_operations_it_started(
    stack, start_worker, customer, fake, processes
):
    user, headers = customer
    fake.polls_until_done = 10_000
    base = stack()
    generation_id = create(base, headers, "a kite over the dunes")

    switch_worker_mid_operation(
        fake=fake,
        processes=processes,
        start_worker=start_worker,
        generation_id=generation_id,
        GEMINI_API_KEY="rotated-key",
        GEMINI_RETIRED_API_KEYS="test-key",
    )

    assert fetch(base, headers, generation_id)["status"] == "succeeded"
    assert all(c.headers.get("x-goog-api-key") == "test-key" for c in fake.calls)
    assert balance_get(user=user) == Balance(available=CREDITS - 4 * VEO_3_PRICE, held=0)
