"""The limiter itself: exact counts per window, honest retry times, per-key and per-plan limits."""

import uuid
from datetime import timedelta

import pytest
from django.test import RequestFactory

from accounts.auth import Caller
from accounts.models import ApiKey
from ops import limits
from ops.models import Plan, RateWindow


def fresh_bucket():
    return f"test:{uuid.uuid4().hex}"


def make_key(user, **extra):
    return ApiKey.objects.create(
        user=user, name="test", prefix="sk-veo-test", hashed_key=uuid.uuid4().hex * 2, **extra
    )


@pytest.mark.sqlite
@pytest.mark.django_db
def test_it_admits_exactly_the_limit_then_refuses():
    bucket = fresh_bucket()
    decisions = [limits.hit(bucket, 5) for _ in range(8)]
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 3
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0, 0, 0]
    assert all(d.limit == 5 for d in decisions)


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_refusal_says_when_to_retry():
    bucket = fresh_bucket()
    limits.hit(bucket, 1)
    refused = limits.hit(bucket, 1)
    assert not refused.allowed
    assert 55 < refused.retry_after <= 60
    headers = refused.headers()
    assert headers["Retry-After"] == "60"
    assert headers["x-ratelimit-limit-requests"] == "1"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-reset-requests"].endswith("s")
    assert "Retry-After" not in limits.hit(fresh_bucket(), 1).headers()


@pytest.mark.sqlite
@pytest.mark.django_db
def test_the_database_window_opens_again_after_a_minute(settings):
    settings.REDIS_URL = ""
    bucket = fresh_bucket()
    assert limits.hit(bucket, 2).allowed and limits.hit(bucket, 2).allowed
    assert not limits.hit(bucket, 2).allowed
    window = RateWindow.objects.get(bucket=bucket)
    window.window_start -= timedelta(seconds=61)
    window.save()
    again = limits.hit(bucket, 2)
    assert again.allowed and again.remaining == 1


def test_durations_read_like_openai_headers():
    assert limits.format_duration(0.012) == "12ms"
    assert limits.format_duration(1.5) == "1.5s"
    assert limits.format_duration(59.9994) == "1m0s"
    assert limits.format_duration(360) == "6m0s"
    assert limits.format_duration(0) == "0ms"


@pytest.mark.sqlite
@pytest.mark.django_db
def test_a_key_uses_its_own_limit_before_the_plan(alice):
    own = make_key(alice, rpm_limit=3)
    plain = make_key(alice)
    assert limits.caller_bucket(Caller(alice, own))[1] == 3
    assert limits.caller_bucket(Caller(alice, plain))[1] == 20  # the seeded Free plan


@pytest.mark.sqlite
@pytest.mark.django_db
def test_session_callers_share_one_bucket_per_user(alice, bob):
    bucket, limit = limits.caller_bucket(Caller(alice))
    assert limits.caller_bucket(Caller(alice))[0] == bucket
    assert limits.caller_bucket(Caller(bob))[0] != bucket
    assert limit == Plan.objects.get(name="Free").requests_per_minute


@pytest.mark.sqlite
@pytest.mark.django_db
def test_request_check_stores_the_decision_and_refuses_with_429(alice):
    key = make_key(alice, rpm_limit=1)
    first = RequestFactory().get("/v1/models")
    assert limits.request_check(first, Caller(alice, key)).api_key == key
    assert first.ratelimit.allowed
    second = RequestFactory().get("/v1/models")
    with pytest.raises(limits.RateLimited) as refused:
        limits.request_check(second, Caller(alice, key))
    assert refused.value.status == 429
    assert refused.value.type == "rate_limit_error"
    assert refused.value.code == "rate_limit_exceeded"
    assert refused.value.headers["Retry-After"] == "60"
    assert not second.ratelimit.allowed


@pytest.mark.sqlite
@pytest.mark.django_db
def test_long_idle_database_windows_are_forgotten(settings):
    settings.REDIS_URL = ""
    idle, busy = fresh_bucket(), fresh_bucket()
    limits.hit(idle, 5)
    limits.hit(busy, 5)
    RateWindow.objects.filter(bucket=idle).update(
        window_start=RateWindow.objects.get(bucket=idle).window_start - timedelta(hours=2)
    )
    limits.hit(fresh_bucket(), 5)
    assert not RateWindow.objects.filter(bucket=idle).exists()
    assert RateWindow.objects.filter(bucket=busy).exists()
