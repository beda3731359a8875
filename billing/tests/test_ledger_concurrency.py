"""Holds, captures and releases under real concurrency: threads with their own database
connections racing on one balance."""

import threading

import pytest
from django.db import connection, connections

from billing import services
from billing.models import Hold, HoldState
from billing.selectors import balance_get, ledger_mismatches


def race(n, work):
    """Run work(i) in n threads released at once; returns each thread's result or exception."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected, asserted by the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL: set DATABASE_URL")


def test_forty_concurrent_holds_against_a_balance_for_twenty(
    transactional_db, postgres_only, alice
):
    services.credits_grant(user=alice, amount=20 * 50, reason="test")

    results = race(40, lambda i: services.hold_place(user=alice, amount=50, reference=f"gen_{i}"))

    placed = [r for r in results if isinstance(r, Hold)]
    refused = [r for r in results if isinstance(r, services.InsufficientCredits)]
    assert (len(placed), len(refused)) == (20, 20), results
    balance = balance_get(user=alice)
    assert (balance.available, balance.held) == (0, 1000)
    assert ledger_mismatches() == []


@pytest.mark.sqlite
def test_concurrent_holds_on_sqlite_never_overdraw(transactional_db, alice):
    services.credits_grant(user=alice, amount=5 * 50, reason="test")

    results = race(10, lambda i: services.hold_place(user=alice, amount=50, reference=f"gen_{i}"))

    placed = [r for r in results if isinstance(r, Hold)]
    assert len(placed) == 5, results
    assert all(isinstance(r, Hold | services.InsufficientCredits) for r in results), results
    assert balance_get(user=alice).available == 0
    assert ledger_mismatches() == []


@pytest.mark.sqlite
@pytest.mark.parametrize("first", ["capture", "release"])
def test_a_hold_is_settled_exactly_once_under_concurrent_calls(transactional_db, alice, first):
    services.credits_grant(user=alice, amount=1000, reason="test")
    services.hold_place(user=alice, amount=400, reference="gen_race")

    def settle(i):
        # Half the callers capture and half release, as a retried task and a watchdog might.
        if (i % 2 == 0) == (first == "capture"):
            return ("capture", services.hold_capture(reference="gen_race"))
        return ("release", services.hold_release(reference="gen_race"))

    results = race(12, settle)

    winners = [r for r in results if r == ("capture", True) or r == ("release", True)]
    assert len(winners) == 1, results
    assert all(isinstance(r, tuple) for r in results), results
    state = Hold.objects.get().state
    balance = balance_get(user=alice)
    if winners[0][0] == "capture":
        assert state == HoldState.CAPTURED
        assert (balance.available, balance.held) == (600, 0)
    else:
        assert state == HoldState.RELEASED
        assert (balance.available, balance.held) == (1000, 0)
    assert ledger_mismatches() == []


def test_concurrent_grants_with_one_reference_count_once(transactional_db, alice):
    results = race(
        10,
        lambda i: services.credits_grant(user=alice, amount=100, reason="x", reference="once"),
    )
    assert all(not isinstance(r, Exception) for r in results), results
    assert balance_get(user=alice).available == 100
    assert ledger_mismatches() == []
