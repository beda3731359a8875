"""Account pages beyond sign-up: password reset by mailed link, email change with verification,
password change, sign-out, allauth's login limits, and social sign-in only when configured."""

import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.tests.helpers import link_in

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another long passphrase 77"


def unique_email(name):
    # allauth's per-address limits live in the shared cache; a fresh address keeps runs apart.
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


@pytest.fixture
def frank(db):
    from conftest import make_user

    return make_user(unique_email("frank"))


@pytest.mark.sqlite
def test_a_forgotten_password_is_reset_through_the_mailed_link(client, frank, forget_failed_logins):
    response = client.post("/accounts/password/reset/", {"email": frank.email})
    assert response.status_code == 302
    assert "make run" in client.get(response["Location"]).content.decode()

    link = urlsplit(link_in(mail.outbox[-1].body, "/accounts/password/reset/key/")).path
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302

    client.logout()
    assert (
        client.post("/accounts/login/", {"login": frank.email, "password": PASSWORD}).status_code
        == 200
    )
    signed_in = client.post("/accounts/login/", {"login": frank.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/keys/"


def test_the_email_changes_only_after_the_new_address_is_verified(client, frank):
    old_email, new_email = frank.email, unique_email("frank-new")
    client.force_login(frank)
    response = client.post("/accounts/email/", {"action_add": "", "email": new_email})
    assert response.status_code == 302
    frank.refresh_from_db()
    assert frank.email == old_email  # not yet

    link = urlsplit(link_in(mail.outbox[-1].body, "/accounts/confirm-email/")).path
    assert client.post(link).status_code == 302
    frank.refresh_from_db()
    assert frank.email == new_email
    assert list(EmailAddress.objects.filter(user=frank).values_list("email", "verified")) == [
        (new_email, True)
    ]


def test_a_password_change_needs_the_current_password_and_mails_the_owner(
    client, frank, forget_failed_logins
):
    client.force_login(frank)
    wrong = client.post(
        "/accounts/password/change/",
        {"oldpassword": "nope", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    frank.refresh_from_db()
    assert frank.check_password(PASSWORD)

    sent = len(mail.outbox)
    changed = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    frank.refresh_from_db()
    assert frank.check_password(NEW_PASSWORD)
    assert len(mail.outbox) == sent + 1 and mail.outbox[-1].to == [frank.email]


def test_sign_out_ends_the_session(client, frank):
    client.force_login(frank)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/keys/").status_code == 302


def test_repeated_failed_logins_for_one_address_are_stopped(client, frank, forget_failed_logins):
    stopped = "Too many failed login attempts"
    for i in range(5):
        page = client.post("/accounts/login/", {"login": frank.email, "password": f"wrong {i}"})
        assert page.status_code == 200 and stopped not in page.content.decode()
    sixth = client.post("/accounts/login/", {"login": frank.email, "password": "wrong 6"})
    assert stopped in sixth.content.decode()
    # Even the right password is refused until the window passes.
    right = client.post("/accounts/login/", {"login": frank.email, "password": PASSWORD})
    assert right.status_code == 200 and stopped in right.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.sqlite
def test_no_social_buttons_without_client_ids(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert "Continue with" not in html and "/accounts/google/" not in html
    assert "/accounts/github/" not in html


def test_google_and_github_buttons_appear_when_their_client_ids_are_set(start_server):
    base = start_server(
        GOOGLE_CLIENT_ID="test-google-id",
        GOOGLE_CLIENT_SECRET="test-google-secret",
        GITHUB_CLIENT_ID="test-github-id",
        GITHUB_CLIENT_SECRET="test-github-secret",
    )
    html = httpx.get(base + "/accounts/login/").text
    assert "Continue with Google" in html and "Continue with GitHub" in html
    assert "test-google-secret" not in html
    only_github = start_server(GITHUB_CLIENT_ID="test-github-id", GITHUB_CLIENT_SECRET="x")
    html = httpx.get(only_github + "/accounts/signup/").text
    assert "Continue with GitHub" in html and "Continue with Google" not in html


def test_the_console_mail_note_is_only_shown_without_a_mail_server(client, db, settings):
    email = unique_email("ivy")
    data = {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    settings.EMAIL_HOST = "smtp.example.com"
    response = client.post("/accounts/signup/", data, follow=True)
    assert "Check your email" in response.content.decode()
    assert "make run" not in response.content.decode()
