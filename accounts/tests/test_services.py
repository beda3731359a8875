"""Key services: create, rotate with a grace period, revoke — and a dead key stays dead."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import keys, services
from accounts.auth import KeyRejected, authenticate_key
from accounts.models import ApiKey


def codes_at(raw_key, now):
    try:
        authenticate_key(raw_key, now=now)
    except KeyRejected as exc:
        return exc.code
    return "ok"


@pytest.mark.sqlite
def test_a_created_key_is_stored_as_hash_and_prefix_only(alice):
    api_key, raw_key = services.api_key_create(user=alice, name="prod", rpm_limit=60, spend_cap=900)
    row = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert raw_key not in str(row)
    assert row["hashed_key"] == keys.hash_key(raw_key)
    assert row["prefix"] == raw_key[:15]
    assert (row["rpm_limit"], row["spend_cap"]) == (60, 900)
    assert authenticate_key(raw_key) == api_key


@pytest.mark.sqlite
def test_rotation_keeps_the_old_key_for_the_grace_period_only(alice):
    now = timezone.now()
    old, old_raw = services.api_key_create(user=alice, name="prod", rpm_limit=5, spend_cap=7)
    new, new_raw = services.api_key_rotate(api_key=old, grace=timedelta(hours=24), now=now)
    old.refresh_from_db()
    assert old.expires_at == now + timedelta(hours=24)
    assert old.rotated_to == new and old.revoked_at is None
    assert (new.name, new.rpm_limit, new.spend_cap, new.expires_at) == ("prod", 5, 7, None)
    assert new_raw != old_raw

    assert codes_at(old_raw, now + timedelta(hours=23, minutes=59)) == "ok"
    assert codes_at(old_raw, now + timedelta(hours=24)) == "expired_api_key"
    assert codes_at(new_raw, now + timedelta(days=365)) == "ok"


@pytest.mark.parametrize(
    "grace", [timedelta(0), timedelta(hours=1), timedelta(hours=24), timedelta(days=7)]
)
def test_each_grace_choice_ends_the_old_key_when_it_says(alice, grace):
    now = timezone.now()
    old, old_raw = services.api_key_create(user=alice, name="k")
    services.api_key_rotate(api_key=old, grace=grace, now=now)
    if grace:
        assert codes_at(old_raw, now + grace - timedelta(seconds=1)) == "ok"
        assert codes_at(old_raw, now + grace) == "expired_api_key"
    else:
        assert codes_at(old_raw, now) == "revoked_api_key"


def test_the_grace_never_outlives_an_expiry_the_owner_chose(alice):
    now = timezone.now()
    soon = now + timedelta(minutes=10)
    old, _ = services.api_key_create(user=alice, name="k", expires_at=soon)
    new, _ = services.api_key_rotate(api_key=old, grace=timedelta(days=7), now=now)
    old.refresh_from_db()
    assert old.expires_at == soon
    assert new.expires_at == soon  # the new key carries the owner's chosen expiry over


@pytest.mark.sqlite
def test_a_revoked_rotated_or_expired_key_cannot_be_rotated_back_to_life(alice):
    now = timezone.now()
    revoked, _ = services.api_key_create(user=alice, name="revoked")
    services.api_key_revoke(api_key=revoked)
    rotated, _ = services.api_key_create(user=alice, name="rotated")
    services.api_key_rotate(api_key=rotated, grace=timedelta(hours=1), now=now)
    expired, _ = services.api_key_create(user=alice, name="expired", expires_at=now)

    for api_key in (revoked, rotated, expired):
        with pytest.raises(services.KeyNotUsable):
            services.api_key_rotate(api_key=api_key, grace=timedelta(hours=1))
    # The rotation that succeeded made exactly one successor.
    assert ApiKey.objects.filter(user=alice).count() == 4


def test_revoking_twice_keeps_the_first_revocation_time(alice):
    api_key, raw_key = services.api_key_create(user=alice, name="k")
    first = services.api_key_revoke(api_key=api_key).revoked_at
    again = services.api_key_revoke(api_key=api_key, now=first + timedelta(hours=1)).revoked_at
    assert again == first
    assert codes_at(raw_key, timezone.now()) == "revoked_api_key"


def test_a_revoked_key_stays_revoked_even_before_its_grace_ends(alice):
    now = timezone.now()
    old, old_raw = services.api_key_create(user=alice, name="k")
    services.api_key_rotate(api_key=old, grace=timedelta(days=7), now=now)
    services.api_key_revoke(api_key=old)
    assert codes_at(old_raw, now + timedelta(minutes=1)) == "revoked_api_key"
