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
