"""How /v1 knows who is calling: a Bearer API key (for programs) or the signed-in session plus
its CSRF token (for our own pages, such as the studio).

Every request reads the key's row: revocation and expiry hold on the very next request on every
process, because no process keeps a copy.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from ninja.security import SessionAuth
from ninja.security.base import AuthBase

from accounts import keys
from accounts.models import ApiKey, User
from ops import limits
from veoportal.errors import ApiError

LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class Caller:
    user: User
    api_key: ApiKey | None = None


class KeyRejected(ApiError):
    status = 401


def authenticate_key(raw_key, now=None):
    """The active ApiKey for raw_key, or KeyRejected with a code saying why."""
    now = now or timezone.now()
    if not keys.is_well_formed(raw_key):
        raise KeyRejected(
            "The API key is malformed: veoportal keys look like 'sk-veo-…'.",
            code="malformed_api_key",
        )
    # Looked up by its SHA-256: the timing of the index lookup depends only on the hash, which
    # tells a guesser nothing about any stored key, so no secret is compared byte by byte.
    key = ApiKey.objects.select_related("user").filter(hashed_key=keys.hash_key(raw_key)).first()
    if key is None or not key.user.is_active:
        raise KeyRejected("Incorrect API key provided.", code="invalid_api_key")
    if key.is_revoked:
        raise KeyRejected("This API key has been revoked.", code="revoked_api_key")
    if key.is_expired(now):
        raise KeyRejected("This API key has expired.", code="expired_api_key")
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        # Conditional, so that processes racing on one key write it once a minute between them
        # and an older clock reading never moves it back.
        ApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        key.last_used_at = now
    return key


class ApiKeyAuth(AuthBase):
    """`Authorization: Bearer sk-veo-…`. A header that is present but wrong is a 401 at once."""

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request):
        header = request.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise KeyRejected(
                "Send the API key as 'Authorization: Bearer sk-veo-…'.", code="malformed_api_key"
            )
        key = authenticate_key(token.strip())
        request.user = key.user
        request.api_key = key
        return limits.request_check(request, Caller(user=key.user, api_key=key))


class SessionCsrfAuth(SessionAuth):
    """The signed-in browser session; ninja checks the CSRF token for it."""

    def authenticate(self, request, key):
        if request.user.is_authenticated:
            request.api_key = None
            return limits.request_check(request, Caller(user=request.user))
        return None
