"""/v1 authentication: every way a key can be wrong answers 401 in the API's error shape, with
its own code, and never as an HTML page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import keys, services
from accounts.models import ApiKey
from accounts.tests.helpers import AUTHED_PATH


def call(client, authorization=None):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return client.get(AUTHED_PATH, **headers)


def assert_401(response, code):
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "code", "param"}
    assert body["error"]["type"] == "authentication_error"
    assert body["error"]["code"] == code
    assert body["error"]["param"] is None
    assert body["error"]["message"]
    return body["error"]["message"]


@pytest.mark.sqlite
def test_a_valid_key_is_accepted(client, alice):
    _, raw_key = services.api_key_create(user=alice, name="k")
    assert call(client, f"Bearer {raw_key}").status_code == 200


@pytest.mark.sqlite
def test_a_missing_key_is_missing_api_key(client, db):
    message = assert_401(call(client), "missing_api_key")
    assert "Authorization: Bearer" in message


@pytest.mark.sqlite
@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer nonsense",
        "Bearer sk-veo-short",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
        "sk-veo-" + "a" * 46,  # the key without the scheme
        "Bearer sk-proj-" + "a" * 46,  # someone else's key format
    ],
)
def test_a_malformed_key_is_malformed_api_key(client, db, authorization):
    assert_401(call(client, authorization), "malformed_api_key")


def test_a_key_with_a_wrong_checksum_is_malformed_without_a_lookup(client, alice):
    _, raw_key = services.api_key_create(user=alice, name="k")
    typo = raw_key[:-1] + ("a" if raw_key[-1] != "a" else "b")
    assert_401(call(client, f"Bearer {typo}"), "malformed_api_key")


@pytest.mark.sqlite
def test_a_well_formed_but_unknown_key_is_invalid_api_key(client, db):
    assert_401(call(client, f"Bearer {keys.generate()}"), "invalid_api_key")


@pytest.mark.sqlite
def test_a_revoked_key_is_revoked_api_key(client, alice):
    api_key, raw_key = services.api_key_create(user=alice, name="k")
    services.api_key_revoke(api_key=api_key)
    assert_401(call(client, f"Bearer {raw_key}"), "revoked_api_key")


@pytest.mark.sqlite
def test_an_expired_key_is_expired_api_key(client, alice):
    api_key, raw_key = services.api_key_create(
        user=alice, name="k", expires_at=timezone.now() + timedelta(hours=1)
    )
    assert call(client, f"Bearer {raw_key}").status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_401(call(client, f"Bearer {raw_key}"), "expired_api_key")


def test_a_deactivated_users_key_is_refused_like_an_unknown_one(client, alice):
    _, raw_key = services.api_key_create(user=alice, name="k")
    alice.is_active = False
    alice.save()
    assert_401(call(client, f"Bearer {raw_key}"), "invalid_api_key")


def test_the_scheme_name_is_case_insensitive(client, alice):
    _, raw_key = services.api_key_create(user=alice, name="k")
    assert call(client, f"bearer {raw_key}").status_code == 200


def test_a_bad_key_is_refused_even_for_a_signed_in_browser(client, alice):
    # A program sending a wrong key must learn it at once, not fall through to the cookie.
    client.force_login(alice)
    assert_401(call(client, "Bearer sk-veo-nope"), "malformed_api_key")


def test_the_error_never_echoes_the_key(client, alice):
    api_key, raw_key = services.api_key_create(user=alice, name="k")
    services.api_key_revoke(api_key=api_key)
    for authorization in (f"Bearer {raw_key}", f"Bearer {keys.generate()}", "Bearer sk-veo-x"):
        body = call(client, authorization).content.decode()
        assert authorization.split(" ", 1)[1] not in body


def test_a_signed_in_browser_session_may_call_v1_without_a_key(client, alice):
    client.force_login(alice)
    assert call(client).status_code == 200
    client.logout()
    assert_401(call(client), "missing_api_key")


def test_a_session_caller_must_send_the_csrf_token_to_change_anything(alice):
    from django.test import Client

    from generations.models import Generation

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    body = {"model": "veo-3", "prompt": "a cat", "duration": 4}
    refused = browser.post("/v1/video/generations", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "permission_error"
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert "CSRF" in refused.json()["error"]["message"]
    assert not Generation.objects.exists()

    browser.get("/keys/")  # any page sets the CSRF cookie, as the studio's page does
    token = browser.cookies["csrftoken"].value
    allowed = browser.post(
        "/v1/video/generations", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    # Past authentication: alice has no credits, so billing refuses it.
    assert allowed.status_code == 402, allowed.content
