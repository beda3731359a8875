"""Fixtures for the video API's tests: keys for alice and bob, credits, and a snapshot of
everything a failed request must leave unchanged."""

import pytest

from accounts import services as accounts_services
from billing import services as billing_services
from billing.models import Hold, LedgerEntry
from billing.selectors import balance_get
from generations.models import Generation


@pytest.fixture
def alice_key(alice):
    return accounts_services.api_key_create(user=alice, name="test")[1]


@pytest.fixture
def bob_key(bob):
    return accounts_services.api_key_create(user=bob, name="test")[1]


@pytest.fixture
def funded(alice):
    billing_services.credits_grant(user=alice, amount=1000, reason="test credits")
    return alice


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def state_of(user):
    """What must not move when a request is refused: balance, ledger, holds, generations."""
    balance = balance_get(user=user)
    return {
        "available": balance.available,
        "held": balance.held,
        "ledger": LedgerEntry.objects.count(),
        "holds": Hold.objects.count(),
        "generations": Generation.objects.count(),
    }


def settlements(generation_id):
    """The ledger's capture/release entries for a generation (its hold excluded)."""
    return list(
        LedgerEntry.objects.filter(reference__endswith=generation_id)
        .exclude(kind="hold")
        .values_list("kind", flat=True)
    )


def finish(user, **fields):
    """A generation made and completed in this process (the simulator with no latency)."""
    from django.conf import settings

    from generations import services

    assert settings.SIMULATOR_LATENCY == 0, "set settings.SIMULATOR_LATENCY = 0 first"
    fields = {"model": "veo-3", "prompt": "a fox", "duration": 4, **fields}
    generation = services.generation_create(user=user, **fields)
    services.generation_start(generation_id=generation.id)
    services.generation_poll(generation_id=generation.id)
    generation.refresh_from_db()
    return generation


def run_concurrently(*calls):
    """Start every call at the same moment on its own thread and database connection; answer
    the exceptions they raised (ApiError refusals count as answers, not errors)."""
    import threading

    from django.db import connection

    from veoportal.errors import ApiError

    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait()
            call()
        except ApiError:
            pass
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
