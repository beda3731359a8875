"""x-ratelimit-* headers on every /v1 answer, and 429s in the documented shape."""

import random

import pytest

from accounts.services import api_key_create


def random_ip():
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@pytest.mark.sqlite
def test_a_key_sees_its_budget_shrink_on_each_answer(client, alice):
    _, raw_key = api_key_create(user=alice, name="k", rpm_limit=3)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}
    answers = [client.get("/v1/balance", **auth) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["x-ratelimit-remaining-requests"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a["x-ratelimit-limit-requests"] == "3" for a in answers)
    refused = answers[-1]
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert refused.json()["error"]["message"].startswith("Rate limit reached: 3 requests")
    assert int(refused["Retry-After"]) in range(55, 61)


@pytest.mark.sqlite
def test_errors_of_an_identified_caller_carry_the_headers_too(client, alice):
    _, raw_key = api_key_create(user=alice, name="k", rpm_limit=5)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}
    answer = client.get("/v1/video/generations/gen_doesnotexist", **auth)
    assert answer.status_code == 404
    assert answer["x-ratelimit-limit-requests"] == "5"
    assert answer["x-ratelimit-remaining-requests"] == "4"


@pytest.mark.sqlite
def test_the_session_caller_is_limited_by_the_plan(client, alice):
    client.force_login(alice)
    answer = client.get("/v1/balance")
    assert answer.status_code == 200
    assert answer["x-ratelimit-limit-requests"] == "20"  # the seeded Free plan
    assert answer["x-ratelimit-remaining-requests"] == "19"


@pytest.mark.sqlite
def test_wrong_keys_are_counted_per_address_and_then_refused(client, db, settings):
    settings.RATE_LIMIT_ANONYMOUS_RPM = 3
    ip = random_ip()
    auth = {"HTTP_AUTHORIZATION": "Bearer sk-veo-wrong", "REMOTE_ADDR": ip}
    answers = [client.get("/v1/balance", **auth) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert [a["x-ratelimit-remaining-requests"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[-1].json()["error"]["code"] == "rate_limit_exceeded"
    assert "Retry-After" in answers[-1]
    # Another address is not slowed down by this one.
    other = client.get("/v1/balance", HTTP_AUTHORIZATION="Bearer x", REMOTE_ADDR=random_ip())
    assert other.status_code == 401


@pytest.mark.sqlite
def test_unknown_api_paths_carry_the_headers(client, db, settings):
    settings.RATE_LIMIT_ANONYMOUS_RPM = 600
    answer = client.get("/v1/no-such-thing", REMOTE_ADDR=random_ip())
    assert answer.status_code == 404
    assert answer["x-ratelimit-limit-requests"] == "600"
    assert answer["x-ratelimit-remaining-requests"] == "599"


@pytest.mark.sqlite
def test_pages_outside_the_api_have_no_rate_headers(client, db):
    assert "x-ratelimit-limit-requests" not in client.get("/healthz")
