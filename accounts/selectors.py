"""Reads for API keys: a user's keys, and one key looked up only through its owner."""

from django.db.models import QuerySet
from django.http import Http404

from accounts import keys
from accounts.models import ApiKey, User


def api_keys_for_user(*, user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user).select_related("rotated_to")


def api_key_get_for_owner(*, user: User, key_id) -> ApiKey:
    """The key if `user` owns it; another user's key answers exactly like an unknown one."""
    try:
        return api_keys_for_user(user=user).get(pk=int(key_id))
    except (ApiKey.DoesNotExist, ValueError, TypeError):
        raise Http404("No such key.") from None


class KeyLookupError(Exception):
    pass


def api_key_lineage(*, api_key: ApiKey) -> list[int]:
    """The ids of every key in the key's rotation chain (the keys it replaced and the ones that
    replaced it): they are one key to its owner and share one budget, so rotating never resets a
    spend cap."""
    ids = [api_key.pk]
    while (
        older := ApiKey.objects.filter(rotated_to_id=ids[0]).values_list("pk", flat=True).first()
    ) is not None:
        ids.insert(0, older)
    while (
        newer := ApiKey.objects.filter(pk=ids[-1]).values_list("rotated_to_id", flat=True).first()
    ) is not None:
        ids.append(newer)
    return ids


def api_key_find(*, key_or_prefix: str) -> ApiKey:
    """For support work: the key matching a whole leaked key, or a displayed prefix that names
    exactly one key. Raises KeyLookupError saying what went wrong."""
    text = key_or_prefix.strip()
    if keys.is_well_formed(text):
        found = ApiKey.objects.filter(hashed_key=keys.hash_key(text)).first()
        if found is None:
            raise KeyLookupError("No key matches that key.")
        return found
    if text.startswith(keys.PREFIX):
        # Exactly the displayed prefix: a shorter or mistyped one must not pick a key by luck.
        matches = list(ApiKey.objects.filter(prefix=text.rstrip("…."))[:2])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise KeyLookupError("More than one key has that prefix; give the whole key.")
        raise KeyLookupError(
            "No key has that prefix, and it is not a whole key (or its checksum does not match)."
        )
    raise KeyLookupError(
        f"Give a whole key or its displayed prefix (they start with '{keys.PREFIX}')."
    )
