"""Stripe Checkout end to end in Chromium: our gunicorn server talks to the fake Stripe with the
real stripe-python client, the fake's signed webhook arrives a few seconds after the payment, and
the return page says "processing" until it has."""

import pytest

from billing.models import StripeEvent, TopUp
from billing.selectors import balance_get
from conftest import make_user
from tests.fakes.stripe_server import FakeStripe

PASSWORD = "correct horse battery staple"


@pytest.fixture
def live_fake_stripe():
    fake = FakeStripe().start()
    fake.hosted_checkout = True
    yield fake
    fake.stop()


@pytest.mark.browser
def test_the_return_page_waits_for_the_webhook(
    start_server, page, screenshot, transactional_db, live_fake_stripe
):
    fake = live_fake_stripe
    user = make_user("dana@example.com", password=PASSWORD)
    base = start_server(
        PAYMENT_PROVIDER="stripe",
        STRIPE_SECRET_KEY=fake.secret_key,
        STRIPE_WEBHOOK_SECRET=fake.webhook_secret,
        STRIPE_API_BASE=fake.url,
    )
    fake.webhook_url = base + "/billing/stripe/webhook/"
    fake.webhook_delay = 4

    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state()
    page.goto(base + "/billing/")
    assert "Stripe" in page.inner_text(".provider-note")

    page.click("button.pack:has-text('$25')")
    page.wait_for_url(fake.url + "/c/pay/**")
    page.click("#pay")
    page.wait_for_url("**/billing/top-ups/**")

    # The redirect alone proves nothing: no credits until Stripe's signed event lands.
    assert page.is_visible("text=Processing your payment…")
    assert balance_get(user=user).available == 0
    screenshot("billing-stripe-processing")

    page.wait_for_selector(".result-state.paid:not([hidden])", timeout=20000)
    assert "2,500 credits added" in page.inner_text(".result-state.paid h1")
    assert page.inner_text("#new-balance") == "2,500"
    screenshot("billing-stripe-credited")

    top_up = TopUp.objects.get(user=user)
    assert (top_up.status, top_up.provider) == ("paid", "stripe")
    assert fake.deliveries == [(StripeEvent.objects.get().event_id, 200)]
    assert balance_get(user=user).available == 2500
