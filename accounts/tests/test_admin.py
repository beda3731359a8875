"""The operator's admin: users by email with their credits; keys read-only, never the hash."""

import pytest

from accounts import services
from accounts.models import User
from billing import services as billing_services


def test_the_user_admin_lists_users_by_email_and_shows_credits(client, staff, alice):
    billing_services.credits_grant(user=alice, amount=1234, reason="welcome", reference="t-1")
    client.force_login(staff)
    listing = client.get("/admin/accounts/user/?q=alice")
    assert listing.status_code == 200 and "alice@example.com" in listing.content.decode()
    assert "1,234 (0)" in listing.content.decode()
    page = client.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert "Available credits" in page and "1234" in page
    assert "Lifetime top-ups" in page and "$0.00" in page


def test_the_admin_adds_a_user_by_email(client, staff):
    client.force_login(staff)
    page = client.get("/admin/accounts/user/add/")
    assert page.status_code == 200 and "username" not in page.content.decode().lower()
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "gina@example.com",
            "usable_password": "true",
            "password1": "a long admin-set passphrase",
            "password2": "a long admin-set passphrase",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="gina@example.com").check_password("a long admin-set passphrase")


def test_the_key_admin_shows_the_prefix_and_never_the_hash(client, staff, alice):
    api_key, raw_key = services.api_key_create(user=alice, name="prod")
    client.force_login(staff)
    for url in ("/admin/accounts/apikey/", f"/admin/accounts/apikey/{api_key.pk}/change/"):
        html = client.get(url).content.decode()
        assert api_key.prefix in html
        assert api_key.hashed_key not in html
        assert raw_key not in html
    assert client.get("/admin/accounts/apikey/add/").status_code == 403


@pytest.mark.parametrize("url", ["/admin/accounts/apikey/", "/admin/accounts/user/"])
def test_a_non_staff_user_cannot_open_the_admin(client, alice, url):
    client.force_login(alice)
    assert client.get(url).status_code == 302


def test_the_key_admin_revokes_selected_keys(client, staff, alice):
    api_key, _ = services.api_key_create(user=alice, name="prod")
    client.force_login(staff)
    client.post(
        "/admin/accounts/apikey/",
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
    )
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
