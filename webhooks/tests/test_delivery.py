"""Delivering signed webhooks to a real receiver on loopback: what arrives verifies with the
standardwebhooks package and OpenAI's SDK, retries follow the schedule, every attempt is logged."""

import json
import socket

import openai
import pytest
from standardwebhooks import Webhook

from conftest import free_port
from webhooks import selectors, services
from webhooks.models import Delivery, DeliveryAttempt, Event
from webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.sqlite


@pytest.fixture
def loopback(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0.05, 0.05, 0.05]
    settings.WEBHOOK_TIMEOUT = 1


def emit(generation, type, capture):
    with capture(execute=True):
        return services.event_emit(generation=generation, type=type)


def test_a_delivery_verifies_with_standardwebhooks_and_openai(
    alice, make_generation, loopback, eager_tasks, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        generation = make_generation(alice, webhook_url=receiver.url)
        event = emit(generation, "video.generation.running", django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    secret = selectors.signing_secret_current(user=alice).secret
    assert secret.startswith("whsec_")

    payload = Webhook(secret).verify(got.body, got.headers)
    assert payload["id"] == event.id == got.headers["webhook-id"]
    assert payload["id"].startswith("evt_")
    assert payload["object"] == "event"
    assert payload["type"] == "video.generation.running"
    assert isinstance(payload["created_at"], int)
    assert payload["data"]["id"] == generation.id
    assert payload["data"]["object"] == "video.generation"
    assert payload["data"]["status"] == "running"
    assert got.headers["content-type"] == "application/json"

    client = openai.OpenAI(api_key="sk-unused", webhook_secret=secret)
    client.webhooks.verify_signature(got.body, got.headers)
    unwrapped = client.webhooks.unwrap(got.body, got.headers)
    assert unwrapped.id == event.id

    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.verify_signature(got.body.replace(b"running", b"succeeded"), got.headers)
    other = openai.OpenAI(api_key="sk-unused", webhook_secret=services.new_secret())
    with pytest.raises(openai.InvalidWebhookSignatureError):
        other.webhooks.verify_signature(got.body, got.headers)


def test_rotation_signs_with_both_secrets_during_the_overlap(
    alice, make_generation, loopback, eager_tasks, django_capture_on_commit_callbacks
):
    old = services.signing_secret_ensure(user=alice).secret
    new = services.signing_secret_rotate(user=alice).secret
    assert new != old
    with Receiver() as receiver:
        generation = make_generation(alice, webhook_url=receiver.url)
        emit(generation, "video.generation.running", django_capture_on_commit_callbacks)

    got = receiver.requests[0]
    signatures = got.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)
    # Each secret verifies on its own, so receivers on either secret keep working.
    for secret in (old, new):
        Webhook(secret).verify(got.body, got.headers)
        openai.OpenAI(api_key="x", webhook_secret=secret).webhooks.verify_signature(
            got.body, got.headers
        )
    for secret, signature in zip((new, old), signatures, strict=True):
        Webhook(secret).verify(got.body, {**got.headers, "webhook-signature": signature})


def test_after_the_overlap_only_the_new_secret_signs(alice, settings):
    first = services.signing_secret_ensure(user=alice).secret
    second = services.signing_secret_rotate(user=alice, overlap_seconds=0).secret
    assert selectors.signing_secrets_active(user=alice) == [second]
    third = services.signing_secret_rotate(user=alice).secret
    # A second rotation ends the first overlap at once: never more than two signatures.
    assert selectors.signing_secrets_active(user=alice) == [third, second]
    assert first not in selectors.signing_secrets_active(user=alice)


def test_a_receiver_that_fails_twice_gets_exactly_three_attempts(
    alice, make_generation, loopback, eager_tasks, django_capture_on_commit_callbacks
):
    with Receiver(script=[500, 503, 200]) as receiver:
        generation = make_generation(alice, webhook_url=receiver.url)
        event = emit(generation, "video.generation.running", django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 3
    # Same message each time: the id and body do not change between retries.
    assert {r.headers["webhook-id"] for r in receiver.requests} == {event.id}
    assert {r.body for r in receiver.requests} == {event.body.encode()}
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == Delivery.SUCCEEDED
    assert delivery.attempt_count == 3
    attempts = list(delivery.attempts.order_by("number"))
    assert [a.status_code for a in attempts] == [500, 503, 200]
    assert [a.number for a in attempts] == [1, 2, 3]
    assert attempts[0].error == "The receiver answered HTTP 500."
    assert attempts[2].error == ""
    assert all(a.latency_ms < 1000 for a in attempts)
    # Nothing is left to send: a duplicate task changes nothing.
    from webhooks.tasks import deliver

    deliver.delay(delivery.pk)
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 3


def test_a_dead_receiver_stops_after_the_last_attempt(
    alice, make_generation, loopback, eager_tasks, django_capture_on_commit_callbacks
):
    dead = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    generation = make_generation(alice, webhook_url=dead)
    event = emit(generation, "video.generation.running", django_capture_on_commit_callbacks)

    delivery = Delivery.objects.get(event=event)
    assert delivery.status == Delivery.FAILED
    assert delivery.next_attempt_at is None
    attempts = list(delivery.attempts.order_by("number"))
    assert len(attempts) == 4  # the length of the shrunk schedule
    assert all(a.status_code is None for a in attempts)
    assert all(a.error.startswith("Connection failed") for a in attempts)
    assert services.delivery_attempt(delivery_id=delivery.pk).attempt is None


def test_a_slow_receiver_is_cut_off_at_the_timeout_and_retried(
    alice, make_generation, loopback, eager_tasks, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT = 0.5
    with Receiver(script=[("stall", 2), 200]) as receiver:
        generation = make_generation(alice, webhook_url=receiver.url)
        event = emit(generation, "video.generation.running", django_capture_on_commit_callbacks)

    attempts = list(Delivery.objects.get(event=event).attempts.order_by("number"))
    assert [a.status_code for a in attempts] == [None, 200]
    assert attempts[0].error == "No answer within 0.5 s."
    assert 450 <= attempts[0].latency_ms < 1500


def test_a_redirect_is_not_followed(
    alice, make_generation, loopback, eager_tasks, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    with Receiver(script=[307]) as receiver:
        generation = make_generation(alice, webhook_url=receiver.url)
        event = emit(generation, "video.generation.running", django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == Delivery.FAILED
    assert [a.status_code for a in delivery.attempts.all()] == [307]


def test_private_targets_are_refused_without_sending(
    alice, make_generation, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with Receiver() as receiver:
        generation = make_generation(alice, webhook_url=receiver.url)
        event = emit(generation, "video.generation.running", django_capture_on_commit_callbacks)
    assert receiver.requests == []
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == Delivery.FAILED
    [attempt] = delivery.attempts.all()
    assert attempt.error.startswith("Refused:")
    assert "loopback" in attempt.error


def test_the_sites_own_studio_receiver_is_always_allowed(
    alice, make_generation, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    with Receiver() as receiver:
        settings.SITE_URL = receiver.base
        generation = make_generation(alice, webhook_url=receiver.base + "/studio/webhooks/")
        emit(generation, "video.generation.running", django_capture_on_commit_callbacks)
    assert [r.path for r in receiver.requests] == ["/studio/webhooks/"]


def test_resend_sends_the_same_message_again(
    alice, make_generation, loopback, eager_tasks, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        generation = make_generation(alice, webhook_url=receiver.url)
        event = emit(generation, "video.generation.running", django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            services.delivery_resend(delivery=event.delivery)
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body
    assert receiver.requests[1].headers["webhook-id"] == event.id
    assert event.delivery.attempts.count() == 2


def test_each_transition_is_announced_once_and_only_with_a_webhook_url(
    alice, make_generation, loopback, django_capture_on_commit_callbacks
):
    silent = make_generation(alice)
    assert services.event_emit(generation=silent, type="video.generation.running") is None
    generation = make_generation(alice, webhook_url="https://example.com/hook")
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.event_emit(generation=generation, type="video.generation.running")
        again = services.event_emit(generation=generation, type="video.generation.running")
    assert first == again
    assert len(callbacks) == 1
    assert Event.objects.filter(generation=generation).count() == 1
    assert json.loads(first.body)["data"]["id"] == generation.id
    with pytest.raises(ValueError):
        services.event_emit(generation=generation, type="video.generation.exploded")


def test_free_port_helper_is_really_closed():
    # The dead-receiver test relies on nothing listening on a fresh free port.
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", free_port()), timeout=1):
        pass


def test_the_sweep_sends_a_delivery_whose_task_was_lost(
    alice, make_generation, loopback, eager_tasks, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from webhooks.tasks import deliveries_sweep

    with Receiver() as receiver:
        generation = make_generation(alice, webhook_url=receiver.url)
        with django_capture_on_commit_callbacks(execute=False):  # the task never reaches a broker
            event = services.event_emit(generation=generation, type="video.generation.running")
        with django_capture_on_commit_callbacks(execute=True):
            deliveries_sweep.delay()
        assert receiver.requests == []  # not overdue yet: its own task may still come
        Delivery.objects.filter(pk=event.delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(minutes=2)
        )
        with django_capture_on_commit_callbacks(execute=True):
            deliveries_sweep.delay()
    assert len(receiver.requests) == 1
    assert Delivery.objects.get(pk=event.delivery.pk).status == Delivery.SUCCEEDED


def test_two_workers_never_make_the_same_attempt(
    alice, make_generation, loopback, transactional_db
):
    import threading

    from django.db import connection

    with Receiver(script=[("stall", 0.5)]) as receiver:
        generation = make_generation(alice, webhook_url=receiver.url)
        event = services.event_emit(generation=generation, type="video.generation.running")
        results = []

        def work():
            try:
                results.append(services.delivery_attempt(delivery_id=event.delivery.pk))
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(receiver.requests) == 1
    assert sorted(r.attempt is not None for r in results) == [False, False, False, True]
    assert DeliveryAttempt.objects.filter(delivery=event.delivery).count() == 1
