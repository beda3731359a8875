"""The webhooks page: the signing secret with rotation, and deliveries only their owner sees."""

import pytest

from webhooks import selectors, services
from webhooks.models import Delivery, DeliveryAttempt
from webhooks.tests.receiver import Receiver

pytestmark = pytest.mark.sqlite


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/webhooks/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_creates_and_shows_the_signing_secret(client, alice):
    client.force_login(alice)
    page = client.get("/webhooks/").content.decode()
    secret = selectors.signing_secret_current(user=alice).secret
    assert secret.startswith("whsec_")
    assert secret in page
    assert "No deliveries yet" in page
    # A second visit shows the same secret.
    assert secret in client.get("/webhooks/").content.decode()


def test_rotation_keeps_the_old_secret_signing_for_a_day(client, alice):
    client.force_login(alice)
    client.get("/webhooks/")
    old = selectors.signing_secret_current(user=alice)
    response = client.post("/webhooks/rotate/")
    assert response.status_code == 302
    new = selectors.signing_secret_current(user=alice)
    assert new.secret != old.secret
    old.refresh_from_db()
    assert 86390 < (old.expires_at - old.retired_at).total_seconds() <= 86400
    page = client.get("/webhooks/").content.decode()
    assert new.secret in page
    assert old.secret not in page  # only a hint of the old one
    assert old.hint in page and "still signs until" in page


def make_delivery(user, make_generation, django_capture_on_commit_callbacks, url):
    generation = make_generation(user, webhook_url=url)
    with django_capture_on_commit_callbacks(execute=True):
        event = services.event_emit(generation=generation, type="video.generation.running")
    return event.delivery


def test_bob_gets_404_for_alices_deliveries(
    client, alice, bob, make_generation, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    with Receiver() as receiver:
        delivery = make_delivery(
            alice, make_generation, django_capture_on_commit_callbacks, receiver.url
        )
        client.force_login(bob)
        assert client.get(f"/webhooks/deliveries/{delivery.pk}/").status_code == 404
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(f"/webhooks/deliveries/{delivery.pk}/resend/").status_code == 404
        assert delivery.event.generation_id not in client.get("/webhooks/").content.decode()
        assert len(receiver.requests) == 1
        assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 1

        client.force_login(alice)
        page = client.get(f"/webhooks/deliveries/{delivery.pk}/").content.decode()
        assert delivery.event.id in page and "200" in page
        assert delivery.event.generation_id in client.get("/webhooks/").content.decode()


def test_resend_from_the_page_delivers_again(
    client, alice, make_generation, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    with Receiver(script=[500, 200]) as receiver:
        delivery = make_delivery(
            alice, make_generation, django_capture_on_commit_callbacks, receiver.url
        )
        assert Delivery.objects.get(pk=delivery.pk).status == Delivery.FAILED
        client.force_login(alice)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/webhooks/deliveries/{delivery.pk}/resend/", HTTP_ACCEPT="application/json"
            )
        assert response.json() == {"resent": delivery.pk}
    delivery.refresh_from_db()
    assert delivery.status == Delivery.SUCCEEDED
    assert [a.status_code for a in delivery.attempts.order_by("number")] == [500, 200]
    assert len(receiver.requests) == 2


def test_resend_does_not_redirect_elsewhere(client, alice, make_generation, settings):
    generation = make_generation(alice, webhook_url="https://example.com/hook")
    event = services.event_emit(generation=generation, type="video.generation.running")
    client.force_login(alice)
    response = client.post(
        f"/webhooks/deliveries/{event.delivery.pk}/resend/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/webhooks/"


def test_the_operator_sees_deliveries_in_the_admin(client, staff, alice, make_generation):
    generation = make_generation(alice, webhook_url="https://example.com/hook")
    event = services.event_emit(generation=generation, type="video.generation.running")
    client.force_login(staff)
    listing = client.get("/admin/webhooks/delivery/")
    assert listing.status_code == 200
    assert event.id in listing.content.decode()
    assert client.get(f"/admin/webhooks/delivery/{event.delivery.pk}/change/").status_code == 200
