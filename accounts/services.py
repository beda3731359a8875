"""Writes for API keys: create, rotate with a grace period, revoke.

A key that is revoked or past its expiry never becomes valid again: nothing here clears
`revoked_at` or moves an `expires_at` later.
"""

import logging
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts import keys
from accounts.models import ApiKey, User

logger = logging.getLogger(__name__)


class KeyNotUsable(Exception):
    """The key is revoked, expired or already rotated, so it can't be rotated again."""


def api_key_create(
    *,
    user: User,
    name: str,
    expires_at=None,
    rpm_limit: int | None = None,
    spend_cap: int | None = None,
    now=None,
) -> tuple[ApiKey, str]:
    """A new key for `user` and its raw value, which is never stored and never shown again."""
    raw_key = keys.generate()
    api_key = ApiKey.objects.create(
        user=user,
        name=name,
        prefix=keys.display_prefix(raw_key),
        hashed_key=keys.hash_key(raw_key),
        created_at=now or timezone.now(),
        expires_at=expires_at,
        rpm_limit=rpm_limit,
        spend_cap=spend_cap,
    )
    logger.info("api key created id=%s prefix=%s user=%s", api_key.pk, api_key.prefix, user.pk)
    return api_key, raw_key


def api_key_rotate(*, api_key: ApiKey, grace: timedelta, now=None) -> tuple[ApiKey, str]:
    """A new key with the old one's name and limits; the old one keeps working for `grace`
    (revoked at once when grace is zero)."""
    now = now or timezone.now()
    with transaction.atomic():
        # The lock makes two concurrent rotations of one key produce one successor, not two.
        old = ApiKey.objects.select_for_update().get(pk=api_key.pk)
        if old.is_revoked or old.is_expired(now) or old.rotated_to_id is not None:
            raise KeyNotUsable("Only an active key can be rotated.")
        new, raw_key = api_key_create(
            user=old.user,
            name=old.name,
            expires_at=old.expires_at,
            rpm_limit=old.rpm_limit,
            spend_cap=old.spend_cap,
            now=now,
        )
        old.rotated_to = new
        if grace <= timedelta(0):
            old.revoked_at = now
        else:
            # Never later than an expiry the owner already chose.
            old.expires_at = min(filter(None, [old.expires_at, now + grace]))
        old.save(update_fields=["rotated_to", "revoked_at", "expires_at"])
    logger.info("api key rotated id=%s to id=%s grace=%ss", old.pk, new.pk, grace.total_seconds())
    api_key.refresh_from_db()
    return new, raw_key


def api_key_revoke(*, api_key: ApiKey, now=None) -> ApiKey:
    """Stops the key on the next request on every process; revoking twice keeps the first time."""
    now = now or timezone.now()
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
    api_key.refresh_from_db()
    logger.info("api key revoked id=%s prefix=%s", api_key.pk, api_key.prefix)
    return api_key


def user_create_verified(*, email: str) -> User:
    """A user whose address counts as verified and who has no usable password (support makes
    these for people who then set a password with "forgot password")."""
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=None)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    logger.info("user created by support id=%s", user.pk)
    return user
