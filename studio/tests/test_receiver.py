"""The studio's webhook receiver: it believes only deliveries signed with the owner's secret,
records each webhook-id once, and refuses tampering and stale timestamps changing nothing."""

import json
import time
from datetime import UTC, datetime

import pytest

from studio.models import ReceivedEvent
from webhooks import services

pytestmark = pytest.mark.sqlite

URL = "/studio/webhooks/"


def signed(
    generation,
    *,
    type="video.generation.succeeded",
    status="succeeded",
    secret=None,
    msg_id="evt_test123",
    at=None,
    data=None,
):
    body = json.dumps(
        {
            "id": msg_id,
            "object": "event",
            "type": type,
            "created_at": int(time.time()),
            "data": data
            or {
                "id": generation.id,
                "object": "video.generation",
                "status": status,
                "progress": 100 if status == "succeeded" else 50,
            },
        }
    )
    secret = secret or services.signing_secret_ensure(user=generation.user).secret
    moment = datetime.fromtimestamp(at or time.time(), tz=UTC)
    headers = services.signature_headers(msg_id=msg_id, body=body, secrets=[secret], now=moment)
    return body, {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}


def post(client, body, headers):
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_it_records_a_signed_delivery_once(client, alice, make_generation):
    generation = make_generation(alice)
    body, headers = signed(generation)
    first = post(client, body, headers)
    assert first.status_code == 200
    assert first.json() == {"received": "evt_test123", "duplicate": False}
    event = ReceivedEvent.objects.get()
    assert (event.generation_id, event.status, event.progress) == (generation.id, "succeeded", 100)
    assert event.user == alice

    again = post(client, body, headers)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert ReceivedEvent.objects.count() == 1


def test_a_tampered_body_is_refused_and_changes_nothing(client, alice, make_generation):
    generation = make_generation(alice)
    body, headers = signed(generation, status="running", type="video.generation.running")
    tampered = body.replace('"running"', '"succeeded"')
    response = post(client, tampered, headers)
    assert response.status_code == 400
    assert ReceivedEvent.objects.count() == 0


def test_an_old_timestamp_is_refused_and_changes_nothing(client, alice, make_generation):
    generation = make_generation(alice)
    body, headers = signed(generation, at=time.time() - 301)
    assert post(client, body, headers).status_code == 400
    body, headers = signed(generation, at=time.time() + 301, msg_id="evt_future")
    assert post(client, body, headers).status_code == 400
    assert ReceivedEvent.objects.count() == 0


def test_a_signature_with_someone_elses_secret_is_refused(client, alice, bob, make_generation):
    generation = make_generation(alice)
    bobs = services.signing_secret_ensure(user=bob).secret
    body, headers = signed(generation, secret=bobs)
    assert post(client, body, headers).status_code == 400
    assert ReceivedEvent.objects.count() == 0


def test_the_previous_secret_still_verifies_during_the_overlap(client, alice, make_generation):
    generation = make_generation(alice)
    old = services.signing_secret_ensure(user=alice).secret
    services.signing_secret_rotate(user=alice)
    body, headers = signed(generation, secret=old)
    assert post(client, body, headers).status_code == 200
    services.signing_secret_rotate(user=alice)  # ends the old secret's overlap
    body, headers = signed(generation, secret=old, msg_id="evt_after")
    assert post(client, body, headers).status_code == 400


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"data": {}}', b'{"data": {"id": "gen_nope"}}'],
)
def test_garbage_is_refused(client, alice, body):
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert ReceivedEvent.objects.count() == 0


def test_missing_headers_are_refused(client, alice, make_generation):
    generation = make_generation(alice)
    body, _ = signed(generation)
    assert post(client, body, {}).status_code == 400


def test_it_answers_only_post(client):
    assert client.get(URL).status_code == 405


def test_an_unknown_generation_is_refused_like_a_bad_signature(client, alice, make_generation):
    generation = make_generation(alice)
    body, headers = signed(generation)
    bad_signature = post(client, body.replace(generation.id, generation.id[:-1] + "x"), headers)
    headers["HTTP_WEBHOOK_SIGNATURE"] = "v1,AAAA"
    wrong = post(client, body, headers)
    assert bad_signature.status_code == wrong.status_code == 400
    assert bad_signature.json() == wrong.json()
