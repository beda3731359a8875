"""The whole story through the pages with Django's test client: sign up, verify by the mailed
link, sign in, create a key, use it, rotate it with a grace period, revoke it."""

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db.models import F

from accounts.models import ApiKey, User
from accounts.tests.helpers import AUTHED_PATH, bearer, link_in, raw_key_in

PASSWORD = "a long and unguessable passphrase 42"


def sign_up_and_verify(client, email):
    response = client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Check your email" in page.content.decode()
    # Locally mail goes to the console: the page says where to look.
    assert "make run" in page.content.decode()

    # Unverified: signing in is refused and sends the user back to verification.
    client.logout()
    refused = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert refused.status_code == 302 and "/accounts/confirm-email/" in refused["Location"]

    assert mail.outbox[-1].to == [email]
    assert mail.outbox[-1].subject == "[veoportal] Confirm your email address"
    confirm_url = link_in(mail.outbox[-1].body, "/accounts/confirm-email/")
    confirm_path = urlsplit(confirm_url).path
    page = client.get(confirm_path)
    assert page.status_code == 200 and email in page.content.decode()
    assert client.post(confirm_path).status_code == 302


@pytest.mark.sqlite
def test_a_new_user_signs_up_verifies_creates_rotates_and_revokes_a_key(client, db):
    # A fresh address each run: allauth's per-address mail limits live in the shared cache.
    email = f"carol-{uuid.uuid4().hex[:8]}@example.com"
    sign_up_and_verify(client, email)

    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/keys/"
    assert "No keys yet" in client.get("/keys/").content.decode()

    created = client.post("/keys/", {"name": "laptop", "rpm_limit": "30", "spend_cap": "500"})
    assert created.status_code == 200
    first_key = raw_key_in(created.content.decode())
    # Shown once: the next view of the page holds only its prefix.
    listing = client.get("/keys/").content.decode()
    assert first_key not in listing and first_key[:15] in listing

    assert client.get(AUTHED_PATH, **bearer(first_key)).status_code == 200

    old = ApiKey.objects.get(user__email=email)
    assert (old.name, old.rpm_limit, old.spend_cap) == ("laptop", 30, 500)
    assert client.get(f"/keys/{old.pk}/rotate/").status_code == 200
    rotated = client.post(f"/keys/{old.pk}/rotate/", {"grace": "3600"})
    assert rotated.status_code == 200
    second_key = raw_key_in(rotated.content.decode())
    assert second_key != first_key
    assert "expires in 59" in rotated.content.decode()  # the old key, minutes into its hour

    # During the grace period both keys work.
    assert client.get(AUTHED_PATH, **bearer(first_key)).status_code == 200
    assert client.get(AUTHED_PATH, **bearer(second_key)).status_code == 200
    new = ApiKey.objects.get(rotated_from=old)
    assert (new.name, new.rpm_limit, new.spend_cap) == ("laptop", 30, 500)

    # An hour and a minute later (moved on the key's own clock), the old key is expired.
    ApiKey.objects.filter(pk=old.pk).update(expires_at=F("expires_at") - timedelta(minutes=61))
    expired = client.get(AUTHED_PATH, **bearer(first_key))
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "expired_api_key"
    assert client.get(AUTHED_PATH, **bearer(second_key)).status_code == 200
    assert "expired" in client.get("/keys/").content.decode()

    assert "stops working" in client.get(f"/keys/{new.pk}/revoke/").content.decode()
    revoked = client.post(f"/keys/{new.pk}/revoke/")
    assert revoked.status_code == 302 and revoked["Location"] == "/keys/"
    answer = client.get(AUTHED_PATH, **bearer(second_key))
    assert answer.status_code == 401
    assert answer.json() == {
        "error": {
            "message": "This API key has been revoked.",
            "type": "authentication_error",
            "code": "revoked_api_key",
            "param": None,
        }
    }
    assert User.objects.get(email=email).api_keys.count() == 2


def test_rotating_with_no_grace_stops_the_old_key_at_once(client, alice):
    client.force_login(alice)
    first_key = raw_key_in(client.post("/keys/", {"name": "ci"}).content.decode())
    old = ApiKey.objects.get(user=alice)
    second_key = raw_key_in(client.post(f"/keys/{old.pk}/rotate/", {"grace": "0"}).content.decode())
    assert client.get(AUTHED_PATH, **bearer(first_key)).json()["error"]["code"] == "revoked_api_key"
    assert client.get(AUTHED_PATH, **bearer(second_key)).status_code == 200


def test_the_keys_page_needs_a_signed_in_user(client, db):
    response = client.get("/keys/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/keys/")
