"""Rate limits per API key (or per signed-in user) and the per-account caps checked at hold time.

With Redis, one Lua script counts a sliding one-minute window for every process at once; without
it, a locked database row counts a fixed one-minute window that opens at the bucket's first request.
"""

import logging
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ops.models import RateWindow
from veoportal.errors import ApiError

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
STALE_AFTER = timedelta(hours=1)
INFLIGHT_STATUSES = ("queued", "running")
# A generation takes seconds to minutes; a client waiting on the in-flight cap should look again soon.
INFLIGHT_RETRY_AFTER = 10


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: float  # seconds until the bucket is back to its full limit
    retry_after: float  # seconds until one more request would be allowed (0 when allowed)

    def headers(self):
        headers = {
            "x-ratelimit-limit-requests": str(self.limit),
            "x-ratelimit-remaining-requests": str(self.remaining),
            "x-ratelimit-reset-requests": format_duration(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers


class RateLimited(ApiError):
    status = 429
    code = "rate_limit_exceeded"

    def __init__(self, decision):
        super().__init__(
            f"Rate limit reached: {decision.limit} requests per minute. "
            f"Retry after {max(1, math.ceil(decision.retry_after))} s.",
            headers=decision.headers(),
        )


def format_duration(seconds):
    """A duration the way OpenAI's headers write it: '12ms', '1.5s', '6m0s'."""
    ms = max(0, math.ceil(seconds * 1000))
    if ms < 1000:
        return f"{ms}ms"
    minutes, rest = divmod(ms, 60_000)
    secs = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


# KEYS[1]: the bucket's sorted set of admitted requests (scored by time in microseconds);
# KEYS[2]: a counter that names members uniquely. Refused requests are not recorded, so exactly
# `limit` requests pass in any window of WINDOW_SECONDS, however many processes ask.
SLIDING_WINDOW_LUA = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  local seq = redis.call('INCR', KEYS[2])
  redis.call('ZADD', KEYS[1], now, seq)
  count = count + 1
  allowed = 1
end
local ttl = math.ceil(window / 1000)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
local reset = 0
local retry = 0
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] then reset = tonumber(newest[2]) + window - now end
if allowed == 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  retry = tonumber(oldest[2]) + window - now
end
return {allowed, count, reset, retry}
"""

_redis_script = None


def _redis_hit(bucket, limit):
    global _redis_script
    if _redis_script is None:
        import redis

        # redis-py's pool notices a fork and reconnects, so one client per process is safe.
        client = redis.Redis.from_url(settings.REDIS_URL)
        _redis_script = client.register_script(SLIDING_WINDOW_LUA)
    key = f"veoportal:rl:{bucket}"
    allowed, count, reset_us, retry_us = _redis_script(
        keys=[key, key + ":seq"], args=[limit, WINDOW_SECONDS * 1_000_000]
    )
    return Decision(
        allowed=bool(allowed),
        limit=limit,
        remaining=max(0, limit - count),
        reset=reset_us / 1e6,
        retry_after=retry_us / 1e6,
    )


def _database_hit(bucket, limit):
    window_length = timedelta(seconds=WINDOW_SECONDS)
    with transaction.atomic():
        now = timezone.now()
        window, created = RateWindow.objects.select_for_update().get_or_create(
            bucket=bucket, defaults={"window_start": now}
        )
        if now >= window.window_start + window_length:
            window.window_start, window.count = now, 0
        allowed = window.count < limit
        if allowed:
            window.count += 1
        window.save(update_fields=["window_start", "count"])
    if created:
        # New buckets come with new keys and addresses; forget the long-idle ones at that pace.
        RateWindow.objects.filter(window_start__lt=now - STALE_AFTER).delete()
    left = (window.window_start + window_length - now).total_seconds()
    return Decision(
        allowed=allowed,
        limit=limit,
        remaining=max(0, limit - window.count),
        reset=left,
        retry_after=0 if allowed else left,
    )


def hit(bucket, limit):
    """Counts one request against `bucket` (at most `limit` a minute) and says whether it may pass.

    Returns None when the counter's store is unreachable: the API stays up without limits rather
    than going down with Redis.
    """
    try:
        if settings.REDIS_URL:
            return _redis_hit(bucket, limit)
        return _database_hit(bucket, limit)
    except Exception:
        logger.exception("rate limiter unavailable; letting %s through", bucket)
        return None


def caller_bucket(caller):
    """The bucket and per-minute limit of an authenticated /v1 caller.

    Bucket names carry a random part of the key's hash (or the user's join time), so a key or user
    id that a fresh database hands out again never inherits an old counter.
    """
    from ops.selectors import plan_for_user

    key = caller.api_key
    if key is not None:
        limit = key.rpm_limit or plan_for_user(user=caller.user).requests_per_minute
        return f"key:{key.pk}:{key.hashed_key[:16]}", limit
    user = caller.user
    joined = int(user.date_joined.timestamp() * 1_000_000)
    return f"user:{user.pk}:{joined}", plan_for_user(user=user).requests_per_minute


def request_check(request, caller):
    """Counts this /v1 request for its caller; the headers middleware reads the stored decision.

    Called at the end of authentication, so every authenticated /v1 request counts once.
    """
    bucket, limit = caller_bucket(caller)
    decision = hit(bucket, limit)
    request.ratelimit = decision
    if decision is not None and not decision.allowed:
        raise RateLimited(decision)
    return caller


def anonymous_check(request):
    """Counts a /v1 request nobody was authenticated for (a bad key, a public page) per client IP."""
    limit = settings.RATE_LIMIT_ANONYMOUS_RPM
    if not limit:
        return None
    decision = hit(f"ip:{request.META.get('REMOTE_ADDR', '')}", limit)
    request.ratelimit = decision
    return decision


def generation_admit(*, generation):
    """Refuses a new generation over the account's in-flight cap (429 too_many_inflight) or over
    its key's spend cap (402 key_spend_cap_reached).

    Call it in the transaction that creates the generation, after its row is inserted and before
    its hold is placed: it locks the user's row, so concurrent creates of one account are counted
    one after another, and a concurrent replay of the same Idempotency-Key fails its insert first.
    """
    from accounts.models import User
    from billing.selectors import key_spent
    from generations.models import Generation
    from ops.selectors import plan_for_user

    user, api_key, cost = generation.user, generation.api_key, generation.cost
    # FOR NO KEY UPDATE: it serializes creates of one account, yet leaves alone the key-share
    # locks that every insert referencing the user takes (FOR UPDATE would deadlock with those).
    no_key = connection.features.has_select_for_no_key_update
    locked = User.objects.select_for_update(no_key=no_key).filter(pk=user.pk)
    list(locked.values_list("pk", flat=True))
    plan = plan_for_user(user=user)
    in_flight = (
        Generation.objects.filter(user=user, status__in=INFLIGHT_STATUSES)
        .exclude(pk=generation.pk)
        .count()
    )
    if in_flight >= plan.max_in_flight:
        raise ApiError(
            f"You have {in_flight} generations queued or running, the most your plan "
            f"({plan.name}) allows at once. Wait for one to finish.",
            status=429,
            code="too_many_inflight",
            headers={"Retry-After": str(INFLIGHT_RETRY_AFTER)},
        )
    if api_key is not None and api_key.spend_cap is not None:
        spent = key_spent(api_key=api_key)
        if spent + cost > api_key.spend_cap:
            raise ApiError(
                f"This API key's spend cap is {api_key.spend_cap} credits; it has spent {spent} "
                f"and this generation costs {cost}.",
                status=402,
                code="key_spend_cap_reached",
            )
