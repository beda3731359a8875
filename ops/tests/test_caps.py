"""The account's in-flight cap and the key's spend cap, enforced when the price is held."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from accounts.services import api_key_create
from billing import services as billing
from billing.selectors import balance_get
from generations.models import Generation
from generations.services import generation_fail

BODY = {"model": "veo-3-fast", "prompt": "A lighthouse at dusk", "duration": 4}
COST = 60  # veo-3-fast: 15 credits a second


def post(client, raw_key):
    return client.post(
        "/v1/video/generations",
        BODY,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )


@pytest.fixture
def funded_key(alice):
    billing.credits_grant(user=alice, amount=5000, reason="test credits")
    _, raw_key = api_key_create(user=alice, name="k", rpm_limit=1000)
    return raw_key


@pytest.mark.sqlite
def test_the_free_plan_allows_two_generations_in_flight(client, alice, funded_key):
    assert post(client, funded_key).status_code == 200
    assert post(client, funded_key).status_code == 200
    before = balance_get(user=alice)
    refused = post(client, funded_key)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["type"] == "rate_limit_error"
    assert error["code"] == "too_many_inflight"
    assert "Free" in error["message"]
    assert int(refused["Retry-After"]) > 0
    assert refused["x-ratelimit-limit-requests"] == "1000"
    # Nothing changed: no row, no hold.
    assert Generation.objects.filter(user=alice).count() == 2
    assert balance_get(user=alice) == before


@pytest.mark.sqlite
def test_a_finished_generation_frees_its_slot(client, alice, funded_key):
    first = post(client, funded_key).json()
    post(client, funded_key)
    assert post(client, funded_key).status_code == 429
    generation_fail(generation_id=first["id"], code="upstream_error", message="test")
    assert post(client, funded_key).status_code == 200


@pytest.mark.sqlite
def test_buying_credits_raises_the_cap(client, alice, funded_key):
    billing.credits_top_up(user=alice, amount=1000, reference="t1", description="Top-up")
    answers = [post(client, funded_key).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]  # Builder: five in flight


@pytest.mark.sqlite
def test_a_keys_spend_cap_refuses_with_402(client, alice):
    billing.credits_top_up(user=alice, amount=10_000, reference="t1", description="Top-up")
    _, raw_key = api_key_create(user=alice, name="capped", rpm_limit=1000, spend_cap=2 * COST + 30)
    assert post(client, raw_key).status_code == 200
    second = post(client, raw_key).json()
    before = balance_get(user=alice)
    refused = post(client, raw_key)
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "key_spend_cap_reached"
    assert refused.json()["error"]["type"] == "insufficient_quota"
    assert balance_get(user=alice) == before
    assert Generation.objects.filter(user=alice).count() == 2
    # Another key of the same account has its own cap (none here).
    _, other = api_key_create(user=alice, name="other", rpm_limit=1000)
    assert post(client, other).status_code == 200
    # A failed generation's credits come back to the key's budget.
    generation_fail(generation_id=second["id"], code="upstream_error", message="test")
    assert post(client, raw_key).status_code == 200


@pytest.mark.sqlite
def test_rotating_a_key_does_not_reset_its_spend_cap(client, alice):
    from datetime import timedelta

    from accounts.models import ApiKey
    from accounts.services import api_key_rotate

    billing.credits_top_up(user=alice, amount=10_000, reference="t1", description="Top-up")
    old, old_raw = api_key_create(user=alice, name="capped", rpm_limit=1000, spend_cap=2 * COST)
    assert post(client, old_raw).status_code == 200
    _, new_raw = api_key_rotate(api_key=old, grace=timedelta(hours=1))
    newer, newer_raw = api_key_rotate(
        api_key=ApiKey.objects.get(rotated_from=old), grace=timedelta(0)
    )
    assert newer.spend_cap == 2 * COST
    assert post(client, newer_raw).status_code == 200
    refused = post(client, newer_raw)
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "key_spend_cap_reached"
    # The old key, still in its grace period, shares the budget it began.
    assert post(client, old_raw).json()["error"]["code"] == "key_spend_cap_reached"


def burst(bases, raw_key, n=12):
    def one(i):
        return httpx.post(
            bases[i % len(bases)] + "/v1/video/generations",
            json=BODY,
            headers={"Authorization": f"Bearer {raw_key}"},
            timeout=60,
        )

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


@pytest.mark.sqlite
def test_concurrent_creates_across_processes_never_pass_the_in_flight_cap(start_server, alice):
    billing.credits_grant(user=alice, amount=5000, reason="test credits")
    _, raw_key = api_key_create(user=alice, name="k", rpm_limit=1000)
    bases = [start_server(), start_server()]
    answers = burst(bases, raw_key)
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] * 2 + [429] * 10
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 429} == {
        "too_many_inflight"
    }
    assert Generation.objects.filter(user=alice).count() == 2
    assert balance_get(user=alice).held == 2 * COST


@pytest.mark.sqlite
def test_concurrent_creates_across_processes_never_pass_the_spend_cap(start_server, alice):
    billing.credits_top_up(user=alice, amount=10_000, reference="t1", description="Top-up")
    _, raw_key = api_key_create(user=alice, name="capped", rpm_limit=1000, spend_cap=3 * COST)
    bases = [start_server(), start_server()]
    answers = burst(bases, raw_key)
    assert sorted(a.status_code for a in answers) == [200] * 3 + [402] * 9, answers[0].text
    assert balance_get(user=alice).held == 3 * COST
