"""The keys page: only the owner reaches a key; changes need POST and CSRF; bad input is shown."""

import re

import pytest
from django.test import Client

from accounts import services
from accounts.models import ApiKey


@pytest.fixture
def alices_key(alice):
    api_key, _ = services.api_key_create(user=alice, name="alice's secret project")
    return api_key


@pytest.mark.sqlite
@pytest.mark.parametrize("action", ["rotate", "revoke"])
def test_bob_gets_404_for_alices_key(client, bob, alices_key, action):
    client.force_login(bob)
    url = f"/keys/{alices_key.pk}/{action}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"grace": "0"}).status_code == 404
    unknown = client.get(f"/keys/{alices_key.pk + 1000}/{action}/")
    assert unknown.status_code == 404
    alices_key.refresh_from_db()
    assert alices_key.revoked_at is None and alices_key.rotated_to is None
    assert ApiKey.objects.count() == 1
    assert "secret project" not in client.get("/keys/").content.decode()


def test_a_key_page_change_without_a_csrf_token_is_refused(alice, alices_key):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(f"/keys/{alices_key.pk}/revoke/").status_code == 403
    assert client.post("/keys/", {"name": "x"}).status_code == 403
    alices_key.refresh_from_db()
    assert alices_key.revoked_at is None
    assert ApiKey.objects.count() == 1


def test_a_get_never_changes_a_key(client, alice, alices_key):
    client.force_login(alice)
    client.get(f"/keys/{alices_key.pk}/revoke/")
    client.get(f"/keys/{alices_key.pk}/rotate/?grace=0")
    alices_key.refresh_from_db()
    assert alices_key.revoked_at is None and alices_key.rotated_to is None


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": ""}, "This field is required."),
        ({"name": "   "}, "This field is required."),
        ({"name": "k", "expires_on": "2001-01-01"}, "The expiry date is in the past."),
        ({"name": "k", "rpm_limit": "0"}, "greater than or equal to 1"),
        ({"name": "k", "spend_cap": "-5"}, "greater than or equal to 1"),
        ({"name": "k", "rpm_limit": "many"}, "Enter a whole number."),
    ],
)
def test_bad_input_on_the_create_form_is_shown_and_creates_nothing(client, alice, data, message):
    client.force_login(alice)
    response = client.post("/keys/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not re.search(r"sk-veo-[0-9A-Za-z]{46}", response.content.decode())
    assert ApiKey.objects.count() == 0


def test_an_expiry_date_makes_the_key_stop_at_the_end_of_that_day(client, alice):
    client.force_login(alice)
    response = client.post("/keys/", {"name": "temp", "expires_on": "2099-03-04"})
    assert response.status_code == 200
    api_key = ApiKey.objects.get(user=alice)
    assert api_key.expires_at.isoformat() == "2099-03-05T00:00:00+00:00"
    assert "expires in" in response.content.decode()


def test_the_shown_once_key_is_never_cached_or_put_in_a_url(client, alice):
    client.force_login(alice)
    response = client.post("/keys/", {"name": "k"})
    assert response.status_code == 200  # rendered in the POST's answer, not after a redirect
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    raw = re.search(r"sk-veo-[0-9A-Za-z]{46}", response.content.decode()).group(0)
    assert raw not in str(dict(client.session))
    assert raw not in client.get("/keys/").content.decode()


def test_a_rotated_key_offers_no_second_rotation(client, alice, alices_key):
    client.force_login(alice)
    client.post(f"/keys/{alices_key.pk}/rotate/", {"grace": "3600"})
    response = client.post(f"/keys/{alices_key.pk}/rotate/", {"grace": "3600"})
    assert response.status_code == 302
    assert ApiKey.objects.filter(user=alice).count() == 2
    assert f"/keys/{alices_key.pk}/rotate/" not in client.get("/keys/").content.decode()
