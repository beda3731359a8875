"""Fixtures for the video API's tests: keys for alice and bob, credits, and a snapshot of
everything a failed request must leave unchanged."""

import pytest

from accounts import services as accounts_services
from billing import services as billing_services
from billing.models import Hold, LedgerEntry
from billing.selectors import balance_get
from generations.models import Generation


@pytest.fixture(autouse=True)
def video_models(request):
    """The seeded models, for every test with a database: a transactional test elsewhere may
    have flushed the rows the migration wrote."""
    names = request.fixturenames
    if not (
        {"db", "transactional_db"} & set(names) or request.node.get_closest_marker("django_db")
    ):
        return
    request.getfixturevalue("db")
    from generations.catalog import video_models_seed
    from generations.models import VideoModel

    video_models_seed(VideoModel)


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
