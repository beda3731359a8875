"""Top-ups through Stripe Checkout and Stripe's webhook, against the fake Stripe on loopback,
driven by the real stripe-python client."""

import pytest

from billing import services
from billing.models import StripeEvent, TopUp, TopUpPack, TopUpRefund
from billing.selectors import balance_get, ledger_mismatches

WEBHOOK = "/billing/stripe/webhook/"


def start_top_up(client, user, cents=1000):
    client.force_login(user)
    pack = TopUpPack.objects.get(amount_cents=cents)
    response = client.post("/billing/top-ups/", {"pack": pack.pk})
    assert response.status_code == 302, response.content
    return TopUp.objects.filter(user=user).latest("created_at"), response["Location"]


def post_event(client, fake, event, **sign_options):
    body, header = fake.signed(event, **sign_options)
    return client.post(
        WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def test_checkout_is_created_at_stripe_for_the_amount_we_priced(client, alice, fake_stripe):
    top_up, location = start_top_up(client, alice, 1000)

    assert location.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert top_up.status == "pending" and top_up.credits == 1000
    method, path, params = fake_stripe.requests[-1]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert params["mode"] == "payment"
    assert params["line_items"][0]["price_data"]["unit_amount"] == "1000"
    assert params["line_items"][0]["price_data"]["currency"] == "usd"
    assert params["client_reference_id"] == top_up.id
    assert params["metadata"]["top_up_id"] == top_up.id
    assert location.endswith(top_up.checkout_session_id)
    assert balance_get(user=alice).available == 0


def test_a_paid_session_credits_once_however_often_the_event_is_replayed(
    client, alice, fake_stripe
):
    top_up, _ = start_top_up(client, alice, 2500)
    event = fake_stripe.complete_session(top_up.checkout_session_id)

    answers = [post_event(client, fake_stripe, event).status_code for _ in range(10)]

    assert answers == [200] * 10
    assert balance_get(user=alice).available == 2500
    top_up.refresh_from_db()
    assert top_up.status == "paid"
    assert top_up.payment_intent_id == event["data"]["object"]["payment_intent"]
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    assert alice.ledger_entries.filter(kind="top_up").count() == 1
    assert ledger_mismatches() == []


def test_the_same_payment_under_another_event_id_credits_once(client, alice, fake_stripe):
    top_up, _ = start_top_up(client, alice, 500)
    event = fake_stripe.complete_session(top_up.checkout_session_id)
    again = fake_stripe.event("checkout.session.completed", event["data"]["object"])

    assert post_event(client, fake_stripe, event).status_code == 200
    assert post_event(client, fake_stripe, again).status_code == 200

    assert balance_get(user=alice).available == 500


@pytest.mark.parametrize("forgery", ["wrong secret", "no header", "tampered body", "stale"])
def test_a_forged_event_answers_400_and_changes_nothing(client, alice, fake_stripe, forgery):
    top_up, _ = start_top_up(client, alice, 1000)
    event = fake_stripe.complete_session(top_up.checkout_session_id)
    body, header = fake_stripe.signed(event)
    if forgery == "wrong secret":
        body, header = fake_stripe.signed(event, secret="whsec_" + "0" * 48)
    elif forgery == "no header":
        header = None
    elif forgery == "tampered body":
        body = body.replace(b'"amount_total": 1000', b'"amount_total": 100000')
    elif forgery == "stale":
        body, header = fake_stripe.signed(event, timestamp=1_600_000_000)
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}

    response = client.post(WEBHOOK, data=body, content_type="application/json", **extra)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    top_up.refresh_from_db()
    assert top_up.status == "pending"
    assert balance_get(user=alice).available == 0


def test_a_paid_session_for_another_users_purchase_is_refused(client, alice, bob, fake_stripe):
    alice_top_up, _ = start_top_up(client, alice, 10000)
    bob_top_up, _ = start_top_up(client, bob, 500)
    # Bob's session, paid, but claiming to be for Alice's $100 purchase.
    session = fake_stripe.sessions[bob_top_up.checkout_session_id]
    session["client_reference_id"] = alice_top_up.id
    session["metadata"] = {"top_up_id": alice_top_up.id, "user_id": str(alice.pk)}
    event = fake_stripe.complete_session(bob_top_up.checkout_session_id)

    response = post_event(client, fake_stripe, event)

    assert response.status_code == 200
    assert response.json()["outcome"].startswith("refused")
    assert balance_get(user=alice).available == 0
    assert balance_get(user=bob).available == 0
    assert set(TopUp.objects.values_list("status", flat=True)) == {"pending"}


def test_a_paid_session_we_never_created_is_refused(client, alice, fake_stripe):
    from billing.providers.stripe import stripe_client

    top_up, _ = start_top_up(client, alice, 1000)
    # Someone else's session that names our purchase: its id is not the one we stored.
    foreign = stripe_client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 1000,
                        "product_data": {"name": "x"},
                    },
                }
            ],
            "success_url": "https://example.com/ok",
            "cancel_url": "https://example.com/no",
            "client_reference_id": top_up.id,
            "metadata": {"top_up_id": top_up.id},
        }
    )
    event = fake_stripe.complete_session(foreign.id)

    response = post_event(client, fake_stripe, event)

    assert response.status_code == 200
    assert response.json()["outcome"] == "refused: unknown checkout session"
    assert balance_get(user=alice).available == 0


def test_a_session_paid_for_a_different_amount_is_refused(client, alice, fake_stripe):
    top_up, _ = start_top_up(client, alice, 1000)
    fake_stripe.sessions[top_up.checkout_session_id]["amount_total"] = 100
    event = fake_stripe.complete_session(top_up.checkout_session_id)

    response = post_event(client, fake_stripe, event)

    assert response.json()["outcome"].startswith("refused")
    top_up.refresh_from_db()
    assert top_up.status == "pending"
    assert balance_get(user=alice).available == 0


def test_a_delayed_payment_credits_only_when_it_succeeds(client, alice, fake_stripe):
    top_up, _ = start_top_up(client, alice, 1000)
    completed = fake_stripe.complete_session(top_up.checkout_session_id, payment_status="unpaid")

    assert post_event(client, fake_stripe, completed).json()["outcome"] == "awaiting payment"
    assert balance_get(user=alice).available == 0

    succeeded = fake_stripe.succeed_async_payment(top_up.checkout_session_id)
    assert post_event(client, fake_stripe, succeeded).json()["outcome"] == "credited"
    assert balance_get(user=alice).available == 1000


def test_unknown_event_types_are_acknowledged_and_ignored(client, alice, fake_stripe):
    event = fake_stripe.event("customer.created", {"id": "cus_test_1", "object": "customer"})

    response = post_event(client, fake_stripe, event)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"


def test_the_webhook_refuses_everything_without_a_configured_secret(
    client, alice, fake_stripe, settings
):
    top_up, _ = start_top_up(client, alice, 1000)
    event = fake_stripe.complete_session(top_up.checkout_session_id)
    settings.STRIPE_WEBHOOK_SECRET = ""

    assert post_event(client, fake_stripe, event).status_code == 400
    assert balance_get(user=alice).available == 0


def paid_top_up(client, user, fake, cents=1000):
    top_up, _ = start_top_up(client, user, cents)
    post_event(client, fake, fake.complete_session(top_up.checkout_session_id))
    top_up.refresh_from_db()
    assert top_up.status == "paid"
    return top_up


def test_an_admin_refund_debits_credits_when_stripe_confirms_it(client, alice, staff, fake_stripe):
    top_up = paid_top_up(client, alice, fake_stripe, 1000)
    client.force_login(staff)

    response = client.post(
        "/admin/billing/topup/",
        {"action": "refund", "_selected_action": [top_up.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert b"requested" in response.content
    refund = next(iter(fake_stripe.refunds.values()))
    assert (refund["amount"], refund["payment_intent"]) == (1000, top_up.payment_intent_id)
    assert balance_get(user=alice).available == 1000  # not until Stripe says so

    event = fake_stripe.events[-1]
    assert event["type"] == "charge.refunded"
    for _ in range(3):
        assert post_event(client, fake_stripe, event).status_code == 200
    replay = fake_stripe.event("charge.refunded", event["data"]["object"])
    assert post_event(client, fake_stripe, replay).status_code == 200

    assert balance_get(user=alice).available == 0
    top_up.refresh_from_db()
    assert (top_up.status, top_up.refunded_cents) == ("refunded", 1000)
    assert TopUpRefund.objects.get().refund_id == refund["id"]
    assert ledger_mismatches() == []


def test_a_refund_of_spent_credits_stops_at_zero_and_records_the_shortfall(
    client, alice, fake_stripe
):
    top_up = paid_top_up(client, alice, fake_stripe, 1000)
    services.hold_place(user=alice, amount=700, reference="gen_spent")
    services.hold_capture(reference="gen_spent")

    services.top_up_refund(top_up=top_up)
    post_event(client, fake_stripe, fake_stripe.events[-1])

    assert balance_get(user=alice).available == 0
    refund = TopUpRefund.objects.get()
    assert (refund.credits, refund.credits_debited, refund.shortfall) == (1000, 300, 700)
    assert ledger_mismatches() == []


def test_partial_refunds_are_counted_once_each(client, alice, fake_stripe):
    top_up = paid_top_up(client, alice, fake_stripe, 2500)

    services.top_up_refund(top_up=top_up, amount_cents=1000)
    first = fake_stripe.events[-1]
    top_up.refresh_from_db()
    services.top_up_refund(top_up=top_up, amount_cents=500)
    second = fake_stripe.events[-1]
    # Out of order and replayed, as webhooks may arrive.
    for event in (second, first, second, first):
        assert post_event(client, fake_stripe, event).status_code == 200

    assert balance_get(user=alice).available == 1000
    top_up.refresh_from_db()
    assert (top_up.status, top_up.refunded_cents) == ("partially_refunded", 1500)
    assert TopUpRefund.objects.count() == 2


def test_a_charge_without_its_refund_list_is_counted_by_its_running_total(
    client, alice, fake_stripe
):
    top_up = paid_top_up(client, alice, fake_stripe, 1000)
    services.top_up_refund(top_up=top_up, amount_cents=400)
    charge = dict(fake_stripe.events[-1]["data"]["object"])
    charge.pop("refunds")  # newer API versions don't include it

    for _ in range(2):
        post_event(client, fake_stripe, fake_stripe.event("charge.refunded", charge))

    assert balance_get(user=alice).available == 600
    assert TopUpRefund.objects.count() == 1


def test_a_refund_of_a_charge_that_is_not_ours_is_ignored(client, alice, fake_stripe):
    charge = {
        "id": "ch_test_else",
        "object": "charge",
        "payment_intent": "pi_test_else",
        "amount_refunded": 500,
    }

    response = post_event(client, fake_stripe, fake_stripe.event("charge.refunded", charge))

    assert response.status_code == 200
    assert response.json()["outcome"].startswith("ignored")


def test_a_checkout_stripe_refuses_leaves_a_canceled_top_up_and_a_message(
    client, alice, fake_stripe, settings
):
    settings.STRIPE_SECRET_KEY = "sk_test_not_the_fakes_key"
    client.force_login(alice)
    pack = TopUpPack.objects.get(amount_cents=1000)

    response = client.post("/billing/top-ups/", {"pack": pack.pk}, follow=True)

    assert b"The payment provider is unavailable" in response.content
    assert TopUp.objects.get().status == "canceled"


def test_money_arriving_for_a_canceled_top_up_is_still_credited(client, alice, fake_stripe):
    top_up, _ = start_top_up(client, alice, 1000)
    expired = fake_stripe.event(
        "checkout.session.expired", fake_stripe.sessions[top_up.checkout_session_id]
    )
    assert post_event(client, fake_stripe, expired).json()["outcome"] == "canceled"

    paid = fake_stripe.complete_session(top_up.checkout_session_id)
    assert post_event(client, fake_stripe, paid).json()["outcome"] == "credited"

    top_up.refresh_from_db()
    assert top_up.status == "paid"
    assert balance_get(user=alice).available == 1000
