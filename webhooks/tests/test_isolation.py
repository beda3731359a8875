"""A slow receiver on a real worker: each attempt is cut off at WEBHOOK_TIMEOUT, so it holds a
worker slot for at most that long, and neither the generations (its owner's or anyone else's)
nor other users' deliveries wait on it."""

import time

import pytest

from billing.services import credits_grant
from generations.models import Generation
from generations.services import generation_create
from webhooks.models import Delivery, DeliveryAttempt
from webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.sqlite

LATENCY, TIMEOUT = 2, 3


def wait_for(predicate, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError


def test_a_stalling_receiver_holds_up_nobody(alice, bob, settings, start_worker, processes):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    for user in (alice, bob):
        credits_grant(user=user, amount=1000, reason="test", reference=f"iso-{user.pk}")
    start_worker(
        concurrency=2,
        SIMULATOR_LATENCY=str(LATENCY),
        WEBHOOK_TIMEOUT=str(TIMEOUT),
        WEBHOOK_RETRY_SCHEDULE="0,0",
    )
    with Receiver(script=[("stall", 8)]) as slow, Receiver() as fast:
        bobs = generation_create(
            user=bob, model="veo-3", prompt="slow hook", duration=4, webhook_url=slow.url
        )
        alices = generation_create(
            user=alice,
            model="veo-3",
            prompt="fast hook",
            duration=4,
            webhook_url=fast.url + "?token=hook-token-123",
        )
        wait_for(lambda: len(fast.requests) == 2, timeout=90)
        wait_for(
            lambda: Delivery.objects.filter(event__generation=bobs, status="failed").count() == 2
        )

    log = processes.log("worker0")
    assert "hook-token-123" not in log  # URLs may carry customers' tokens: never logged
    assert fast.requests[0].path == "/hook?token=hook-token-123"
    for generation in (bobs, alices):
        generation.refresh_from_db()
        assert generation.status == Generation.SUCCEEDED, log
        # Rendering takes LATENCY; at worst a task waited for one cut-off attempt per slot.
        assert (generation.completed_at - generation.started_at).total_seconds() < (
            LATENCY + 2 * TIMEOUT + 3
        )
    # Alice's webhook went out promptly after her generation finished.
    succeeded_at = alices.completed_at.timestamp()
    assert fast.requests[-1].at - succeeded_at < TIMEOUT + 3
    # Bob's attempts were cut off at the timeout, not left to run for the receiver's 8 s.
    bob_attempts = DeliveryAttempt.objects.filter(delivery__event__generation=bobs)
    assert bob_attempts.count() == 4  # two events, two attempts each
    for attempt in bob_attempts:
        assert attempt.error == f"No answer within {TIMEOUT} s."
        assert TIMEOUT * 1000 - 100 <= attempt.latency_ms < (TIMEOUT + 2) * 1000
