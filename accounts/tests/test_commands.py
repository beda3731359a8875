"""Support commands: create_api_key prints a working key once; revoke_api_key acts on a leak."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from accounts import keys, services
from accounts.auth import KeyRejected, authenticate_key
from accounts.models import ApiKey, User


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.sqlite
def test_create_api_key_prints_a_working_key_once(alice):
    out, err = run("create_api_key", "alice@example.com", "--name", "support")
    raw_key = out.strip()
    assert keys.is_well_formed(raw_key)
    assert raw_key not in err  # printed once, alone on stdout
    api_key = authenticate_key(raw_key)
    assert (api_key.user, api_key.name) == (alice, "support")


def test_create_api_key_refuses_an_unknown_email_without_create_user(db):
    with pytest.raises(CommandError, match="--create-user"):
        run("create_api_key", "nobody@example.com")
    assert not User.objects.exists() and not ApiKey.objects.exists()


@pytest.mark.sqlite
def test_create_user_makes_a_verified_user_with_no_usable_password(db):
    out, _ = run("create_api_key", "dave@example.com", "--create-user")
    user = User.objects.get(email="dave@example.com")
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert authenticate_key(out.strip()).user == user


@pytest.mark.sqlite
def test_revoke_api_key_with_the_whole_leaked_key(alice):
    api_key, raw_key = services.api_key_create(user=alice, name="leaked")
    out, _ = run("revoke_api_key", raw_key)
    assert "is revoked" in out and api_key.prefix in out and raw_key not in out
    with pytest.raises(KeyRejected) as rejected:
        authenticate_key(raw_key)
    assert rejected.value.code == "revoked_api_key"


def test_revoke_api_key_with_the_displayed_prefix(alice):
    api_key, raw_key = services.api_key_create(user=alice, name="leaked")
    run("revoke_api_key", api_key.prefix + "…")
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None


def test_revoke_api_key_explains_what_it_could_not_match(alice):
    api_key, raw_key = services.api_key_create(user=alice, name="kept")
    other = keys.generate()
    with pytest.raises(CommandError, match="No key matches"):
        run("revoke_api_key", other)
    with pytest.raises(CommandError, match="checksum"):
        run("revoke_api_key", raw_key[:-1] + ("a" if raw_key[-1] != "a" else "b"))
    with pytest.raises(CommandError, match="No key has that prefix"):
        run("revoke_api_key", api_key.prefix[:-2])  # too short to name one key for sure
    with pytest.raises(CommandError, match="start with 'sk-veo-'"):
        run("revoke_api_key", "hello")
    api_key.refresh_from_db()
    assert api_key.revoked_at is None


def test_revoke_api_key_refuses_a_prefix_two_keys_share(alice, bob):
    first, _ = services.api_key_create(user=alice, name="a")
    second, _ = services.api_key_create(user=bob, name="b")
    # Prefixes are 8 random characters, so a clash is astronomically rare; make one to be sure
    # the command doesn't pick one of the two.
    ApiKey.objects.filter(pk=second.pk).update(prefix=first.prefix)
    with pytest.raises(CommandError, match="More than one key"):
        run("revoke_api_key", first.prefix)
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()


def test_revoking_an_already_revoked_key_says_so(alice):
    api_key, raw_key = services.api_key_create(user=alice, name="k")
    run("revoke_api_key", raw_key)
    out, _ = run("revoke_api_key", raw_key)
    assert "was already revoked" in out
