"""Upstream limits held across every worker process: operations open at once and create requests
per minute. Work over a limit is not failed: it stays queued and is tried again later.

A provider opts in by having `max_in_flight` and/or `requests_per_minute` (Gemini does; the
simulator has neither). Counting and claiming happen under one lock, so two workers can never
both take the last slot.
"""

from datetime import timedelta

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q

from generations.models import Generation

# Any fixed number: the key of the PostgreSQL advisory lock that serialises claims.
CLAIM_LOCK_KEY = 7_361_204_551


def _lock_claims():
    """PostgreSQL: a transaction-scoped advisory lock. SQLite: the IMMEDIATE transaction the
    settings ask for already holds the database's write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK_KEY])


def _minute_key(provider_name, now):
    return f"upstream-requests:{provider_name}:{int(now.timestamp() // 60)}"


def open_operations(*, provider_name: str, now, claim_timeout: timedelta) -> int:
    """Generations with an operation open upstream, or being submitted right now."""
    return Generation.objects.filter(
        Q(status=Generation.RUNNING)
        | Q(status=Generation.QUEUED, submitted_at__gte=now - claim_timeout),
        provider=provider_name,
    ).count()


def submission_claim(*, generation_id: str, provider, now, claim_timeout: timedelta) -> float:
    """Claim the right to submit a queued generation upstream.

    Answers 0 when this call claimed it (`submitted_at` set, `attempts` counted), a number of
    seconds to wait when a limit is reached, or -1 when the generation is not claimable (another
    worker has it, or it is no longer queued).
    """
    claimable = Generation.objects.filter(pk=generation_id, status=Generation.QUEUED).filter(
        Q(submitted_at__isnull=True) | Q(submitted_at__lt=now - claim_timeout)
    )
    max_in_flight = getattr(provider, "max_in_flight", None)
    per_minute = getattr(provider, "requests_per_minute", None)
    with transaction.atomic():
        if max_in_flight or per_minute:
            _lock_claims()
            if not claimable.exists():
                return -1
            if max_in_flight:
                busy = open_operations(
                    provider_name=provider.name, now=now, claim_timeout=claim_timeout
                )
                if busy >= max_in_flight:
                    # A slot frees when some operation finishes, which polls notice.
                    return max(1.0, float(getattr(provider, "poll_interval", 5)))
            if per_minute and (cache.get(_minute_key(provider.name, now)) or 0) >= per_minute:
                return 60 - now.timestamp() % 60 + 0.5
        if not claimable.update(submitted_at=now, attempts=F("attempts") + 1):
            return -1
        if per_minute:
            key = _minute_key(provider.name, now)
            cache.add(key, 0, timeout=120)
            cache.incr(key)
    return 0
