"""Concurrent deliveries of one payment (Stripe retries, replays, the sandbox's double click)
credit it once: the top-up row lock and the ledger's unique reference decide."""

import pytest
from django.test import Client

from billing.models import StripeEvent, TopUp, TopUpPack
from billing.selectors import balance_get, ledger_mismatches
from billing.tests.test_ledger_concurrency import race


@pytest.mark.sqlite
def test_concurrent_deliveries_of_one_payment_credit_it_once(transactional_db, alice, fake_stripe):
    client = Client()
    client.force_login(alice)
    client.post("/billing/top-ups/", {"pack": TopUpPack.objects.get(amount_cents=1000).pk})
    top_up = TopUp.objects.get()
    event = fake_stripe.complete_session(top_up.checkout_session_id)
    session = event["data"]["object"]
    # Half replay the same event, half are the same payment under new event ids.
    events = [event if i % 2 else fake_stripe.event(event["type"], session) for i in range(12)]
    signed = [fake_stripe.signed(e) for e in events]

    def deliver(i):
        body, header = signed[i]
        return (
            Client()
            .post(
                "/billing/stripe/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
            .status_code
        )

    assert race(12, deliver) == [200] * 12
    assert balance_get(user=alice).available == 1000
    assert alice.ledger_entries.filter(kind="top_up").count() == 1
    assert StripeEvent.objects.count() == 7
    assert ledger_mismatches() == []


@pytest.mark.sqlite
def test_a_double_clicked_sandbox_payment_credits_once(transactional_db, alice, sandbox):
    client = Client()
    client.force_login(alice)
    client.post("/billing/top-ups/", {"pack": TopUpPack.objects.get(amount_cents=500).pk})
    top_up = TopUp.objects.get()
    cookies = client.cookies

    def pay(i):
        c = Client()
        c.cookies = cookies
        return c.post(f"/billing/sandbox/checkout/{top_up.id}/", {"action": "pay"}).status_code

    assert race(8, pay) == [302] * 8
    assert balance_get(user=alice).available == 500
    assert ledger_mismatches() == []
