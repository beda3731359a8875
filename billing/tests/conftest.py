"""Fixtures of the billing tests: the fake Stripe server and the settings that point us at it."""

import pytest

from tests.fakes.stripe_server import FakeStripe


@pytest.fixture
def fake_stripe(settings):
    fake = FakeStripe().start()
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = fake.secret_key
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_API_BASE = fake.url
    yield fake
    fake.stop()


@pytest.fixture
def sandbox(settings):
    settings.PAYMENT_PROVIDER = "sandbox"
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = "whsec_unused_in_sandbox_tests"


@pytest.fixture(autouse=True)
def seeded_packs(request):
    """The packs the data migration seeds; transactional tests flush them, so put them back."""
    names = set(request.fixturenames)
    if not {"db", "transactional_db"} & names:
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    from billing.models import TopUpPack

    if not TopUpPack.objects.exists():
        for order, (cents, name) in enumerate(
            [(500, "Starter"), (1000, "Basic"), (2500, "Creator"), (10000, "Studio")]
        ):
            TopUpPack.objects.create(name=name, amount_cents=cents, sort_order=order)
