"""One key's limit holds across several web processes: together they allow the limit, not N times it."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from accounts.services import api_key_create

DURATION = re.compile(r"^(\d+ms|(\d+m)?\d+(\.\d+)?s)$")


def hammer(bases, raw_key, total=200, threads=16):
    """`total` GET /v1/balance spread round-robin over `bases`, `threads` at a time."""
    headers = {"Authorization": f"Bearer {raw_key}"}
    clients = [httpx.Client(base_url=b, headers=headers, timeout=30) for b in bases]

    def one(i):
        return clients[i % len(clients)].get("/v1/balance")

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(one, range(total)))
    elapsed = time.monotonic() - started
    for client in clients:
        client.close()
    return answers, elapsed


def check_answers(answers, limit):
    ok = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 429]
    assert len(ok) == limit, f"{len(ok)} admitted"
    assert len(refused) == len(answers) - limit
    for answer in answers:
        assert answer.headers["x-ratelimit-limit-requests"] == str(limit)
        assert DURATION.match(answer.headers["x-ratelimit-reset-requests"])
    # Each admitted request saw its own place in the window: nobody was counted twice.
    assert sorted(int(a.headers["x-ratelimit-remaining-requests"]) for a in ok) == list(
        range(limit)
    )
    for answer in refused:
        assert answer.headers["x-ratelimit-remaining-requests"] == "0"
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
        error = answer.json()["error"]
        assert error["type"] == "rate_limit_error"
        assert error["code"] == "rate_limit_exceeded"
    assert "Retry-After" not in ok[0].headers


@pytest.mark.sqlite
def test_two_web_processes_together_admit_exactly_the_keys_limit(start_server, alice):
    _, raw_key = api_key_create(user=alice, name="limited", rpm_limit=60)
    bases = [start_server(), start_server()]
    answers, elapsed = hammer(bases, raw_key)
    check_answers(answers, 60)
    print(f"200 requests over 2 servers x 2 workers in {elapsed:.2f}s")


def test_the_database_limiter_holds_across_processes_on_postgresql(start_server, alice):
    # REDIS_URL empty: the servers count in the database, as a deployment without Redis would.
    _, raw_key = api_key_create(user=alice, name="limited", rpm_limit=60)
    bases = [start_server(REDIS_URL=""), start_server(REDIS_URL="")]
    answers, elapsed = hammer(bases, raw_key)
    check_answers(answers, 60)
    print(f"200 requests over 2 servers x 2 workers (database limiter) in {elapsed:.2f}s")


@pytest.mark.sqlite
def test_other_keys_of_the_same_user_are_counted_apart(start_server, alice):
    _, tight = api_key_create(user=alice, name="tight", rpm_limit=2)
    _, other = api_key_create(user=alice, name="other", rpm_limit=2)
    base = start_server(workers=1)
    tight_answers = [
        httpx.get(base + "/v1/balance", headers={"Authorization": f"Bearer {tight}"})
        for _ in range(3)
    ]
    assert [a.status_code for a in tight_answers] == [200, 200, 429]
    answer = httpx.get(base + "/v1/balance", headers={"Authorization": f"Bearer {other}"})
    assert answer.status_code == 200
    assert answer.headers["x-ratelimit-remaining-requests"] == "1"
