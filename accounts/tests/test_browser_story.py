"""The whole story in Chromium through the real pages of a gunicorn server: sign up, verify with
the link the server printed, sign in, create a key (shown once, copied), use it, rotate it with an
hour's grace, see the old one expire, revoke the new one."""

import re
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from accounts.models import ApiKey
from accounts.tests.helpers import AUTHED_PATH, KEY_IN_TEXT, link_in

PASSWORD = "a long and unguessable passphrase 42"


def status_with(base, raw_key):
    response = httpx.get(base + AUTHED_PATH, headers={"Authorization": f"Bearer {raw_key}"})
    return response.status_code if response.status_code == 200 else response.json()["error"]["code"]


def wait_for_link(processes, name, fragment, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return link_in(processes.log(name), fragment)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def row_of(page, prefix):
    return page.locator(f"tr.key-row[data-prefix='{prefix}']")


@pytest.mark.browser
def test_the_key_story_in_a_real_browser(start_server, processes, page, screenshot):
    base = start_server()
    email = f"erin-{uuid.uuid4().hex[:8]}@example.com"

    page.goto(base + "/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    screenshot("accounts-1-signup")
    page.click("form.signup button[type=submit]")
    page.wait_for_url("**/accounts/confirm-email/")
    assert page.locator("[data-testid=console-mail-note]").is_visible()
    assert "make run" in page.locator("[data-testid=console-mail-note]").inner_text()
    screenshot("accounts-2-verify-email")

    # The local server prints the mail; the user copies the link from the terminal.
    page.goto(wait_for_link(processes, "web0", "/accounts/confirm-email/"))
    page.click("form button[type=submit]")
    page.wait_for_url("**/accounts/login/")

    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url("**/keys/")
    assert page.get_by_text("No keys yet").is_visible()

    page.fill("input[name=name]", "my laptop")
    page.fill("input[name=rpm_limit]", "120")
    page.click("text=Create key")
    first_key = page.locator("[data-testid=raw-key]").inner_text().strip()
    assert KEY_IN_TEXT.fullmatch(first_key)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.click("button[data-copy]")
    assert page.evaluate("navigator.clipboard.readText()") == first_key
    screenshot("accounts-3-key-shown-once")
    assert status_with(base, first_key) == 200

    # Shown once: a fresh load of the page has only the prefix.
    page.goto(base + "/keys/")
    assert first_key not in page.content() and first_key[:15] in page.content()

    row_of(page, first_key[:15]).get_by_text("Rotate").click()
    assert page.locator("input[name=grace][value='3600']").is_checked()  # 1 hour by default
    screenshot("accounts-4-rotate")
    page.click("text=Rotate key")
    second_key = page.locator("[data-testid=raw-key]").inner_text().strip()
    assert KEY_IN_TEXT.fullmatch(second_key) and second_key != first_key
    old_badge = row_of(page, first_key[:15]).locator(".key-state .badge")
    assert re.fullmatch(r"expires in 5\d\sminutes", old_badge.inner_text())
    assert row_of(page, second_key[:15]).locator(".badge").inner_text() == "active"
    screenshot("accounts-5-after-rotation")
    assert status_with(base, first_key) == 200
    assert status_with(base, second_key) == 200

    # An hour passes, on the old key's own clock.
    old = ApiKey.objects.get(prefix=first_key[:15])
    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert status_with(base, first_key) == "expired_api_key"
    assert status_with(base, second_key) == 200
    page.goto(base + "/keys/")
    assert row_of(page, first_key[:15]).locator(".badge").inner_text() == "expired"

    row_of(page, second_key[:15]).get_by_text("Revoke").click()
    screenshot("accounts-6-revoke-confirm")
    page.click("text=Revoke key")
    page.wait_for_url("**/keys/")
    assert status_with(base, second_key) == "revoked_api_key"
    assert row_of(page, second_key[:15]).locator(".badge").inner_text() == "revoked"
    assert "is revoked" in page.locator(".messages").inner_text()
    screenshot("accounts-7-after-revoke")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("accounts-8-keys-on-a-phone")


@pytest.mark.browser
def test_the_account_pages_look_like_the_site(start_server, page, screenshot, forget_failed_logins):
    from conftest import make_user

    # Its own address: allauth counts failed logins per address in the shared cache.
    email = make_user(f"hana-{uuid.uuid4().hex[:8]}@example.com").email
    base = start_server()
    page.goto(base + "/accounts/login/")
    assert page.locator("link[href*='accounts/accounts.css']").count() == 1
    screenshot("accounts-login")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "wrong password")
    page.click("form.login button[type=submit]")
    assert page.locator(".errorlist").is_visible()
    screenshot("accounts-login-error")

    page.goto(base + "/accounts/password/reset/")
    screenshot("accounts-password-reset")

    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", "correct horse battery staple")
    page.click("form.login button[type=submit]")
    page.wait_for_url("**/keys/")
    page.goto(base + "/accounts/email/")
    assert page.locator(".manage-tabs").is_visible()
    screenshot("accounts-email")
    page.goto(base + "/accounts/password/change/")
    screenshot("accounts-password-change")
    page.goto(base + "/accounts/logout/")
    screenshot("accounts-logout")
    page.goto(base + "/accounts/confirm-email/not-a-real-key/")
    assert page.get_by_text("expired or is invalid").is_visible()
    screenshot("accounts-confirm-email-invalid")


@pytest.mark.browser
def test_the_social_buttons_look_like_the_site(start_server, page, screenshot):
    base = start_server(
        GOOGLE_CLIENT_ID="test-google-id",
        GOOGLE_CLIENT_SECRET="test-google-secret",
        GITHUB_CLIENT_ID="test-github-id",
        GITHUB_CLIENT_SECRET="test-github-secret",
    )
    page.goto(base + "/accounts/login/")
    assert page.get_by_text("Continue with Google").is_visible()
    assert page.get_by_text("Continue with GitHub").is_visible()
    screenshot("accounts-login-with-social")
