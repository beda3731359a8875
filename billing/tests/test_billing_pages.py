"""The billing page, sandbox top-ups, the top-up status page and the ledger CSV."""

import csv
import io

import pytest

from billing import services
from billing.models import TopUp, TopUpPack
from billing.selectors import balance_get


def top_up_with_sandbox(client, pack_cents=1000):
    pack = TopUpPack.objects.get(amount_cents=pack_cents)
    response = client.post("/billing/top-ups/", {"pack": pack.pk})
    assert response.status_code == 302
    top_up = TopUp.objects.latest("created_at")
    assert response["Location"] == f"/billing/sandbox/checkout/{top_up.id}/"
    return top_up


@pytest.mark.sqlite
def test_the_billing_page_needs_a_sign_in(client, db):
    response = client.get("/billing/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.sqlite
def test_the_billing_page_shows_balance_packs_and_the_active_provider(client, alice, sandbox):
    services.credits_grant(user=alice, amount=1234, reason="Welcome credits")
    services.hold_place(user=alice, amount=200, reference="gen_page")
    client.force_login(alice)

    page = client.get("/billing/").content.decode()

    assert 'id="balance-available">1,034<' in page
    assert 'id="balance-held">200<' in page
    assert "Sandbox — test payments, no real money" in page
    for dollars in ("$5", "$10", "$25", "$100"):
        assert f'<span class="pack-price">{dollars}</span>' in page
    assert "Welcome credits" in page


@pytest.mark.sqlite
def test_the_page_names_stripe_when_it_is_active(client, alice, fake_stripe):
    client.force_login(alice)
    page = client.get("/billing/").content.decode()
    assert "<strong>Stripe</strong>" in page
    assert "Sandbox" not in page


@pytest.mark.sqlite
def test_a_sandbox_top_up_credits_through_the_fulfilment_service(client, alice, sandbox):
    client.force_login(alice)
    top_up = top_up_with_sandbox(client, 2500)

    checkout = client.get(f"/billing/sandbox/checkout/{top_up.id}/").content.decode()
    assert "TEST MODE" in checkout and "Pay (test)" in checkout
    assert balance_get(user=alice).available == 0

    response = client.post(f"/billing/sandbox/checkout/{top_up.id}/", {"action": "pay"})
    assert response["Location"] == f"/billing/top-ups/{top_up.id}/"
    client.post(f"/billing/sandbox/checkout/{top_up.id}/", {"action": "pay"})  # double submit

    assert balance_get(user=alice).available == 2500
    assert alice.ledger_entries.get().reference == f"top_up:{top_up.id}"
    status = client.get(f"/billing/top-ups/{top_up.id}/status.json").json()
    assert status == {
        "id": top_up.id,
        "status": "paid",
        "credits": 2500,
        "available": 2500,
        "held": 0,
    }
    assert "2,500 credits added" in client.get(f"/billing/top-ups/{top_up.id}/").content.decode()


@pytest.mark.sqlite
def test_canceling_the_sandbox_checkout_credits_nothing(client, alice, sandbox):
    client.force_login(alice)
    top_up = top_up_with_sandbox(client)

    response = client.post(f"/billing/sandbox/checkout/{top_up.id}/", {"action": "cancel"})
    client.post(f"/billing/sandbox/checkout/{top_up.id}/", {"action": "pay"})  # too late

    assert response["Location"] == f"/billing/?canceled={top_up.id}"
    top_up.refresh_from_db()
    assert top_up.status == "canceled"
    assert balance_get(user=alice).available == 0


@pytest.mark.sqlite
def test_the_result_page_says_processing_until_the_payment_is_confirmed(client, alice, sandbox):
    client.force_login(alice)
    top_up = top_up_with_sandbox(client)

    page = client.get(f"/billing/top-ups/{top_up.id}/?session_id=cs_whatever").content.decode()

    assert "Processing your payment…" in page
    assert 'data-status="pending"' in page
    assert client.get(f"/billing/top-ups/{top_up.id}/status.json").json()["status"] == "pending"


@pytest.mark.sqlite
def test_the_sandbox_is_closed_when_stripe_is_the_provider(client, alice, sandbox, settings):
    client.force_login(alice)
    top_up = top_up_with_sandbox(client)
    settings.PAYMENT_PROVIDER = "stripe"

    assert client.get(f"/billing/sandbox/checkout/{top_up.id}/").status_code == 404
    assert (
        client.post(f"/billing/sandbox/checkout/{top_up.id}/", {"action": "pay"}).status_code == 404
    )
    assert balance_get(user=alice).available == 0


@pytest.mark.sqlite
def test_bob_gets_404_for_alices_top_up(client, alice, bob, sandbox):
    client.force_login(alice)
    top_up = top_up_with_sandbox(client)
    client.force_login(bob)

    assert client.get(f"/billing/top-ups/{top_up.id}/").status_code == 404
    assert client.get(f"/billing/top-ups/{top_up.id}/status.json").status_code == 404
    assert client.get(f"/billing/sandbox/checkout/{top_up.id}/").status_code == 404
    assert (
        client.post(f"/billing/sandbox/checkout/{top_up.id}/", {"action": "pay"}).status_code == 404
    )
    assert client.get("/billing/top-ups/tu_doesnotexist/").status_code == 404
    assert balance_get(user=alice).available == 0
    assert balance_get(user=bob).available == 0


@pytest.mark.sqlite
@pytest.mark.parametrize("amount", ["4.99", "1000.01", "-5", "lots", ""])
def test_a_custom_amount_outside_the_bounds_is_refused(client, alice, sandbox, amount):
    client.force_login(alice)

    response = client.post("/billing/top-ups/", {"amount": amount}, follow=True)

    assert not TopUp.objects.exists()
    assert b'class="message error"' in response.content


@pytest.mark.sqlite
def test_a_custom_amount_buys_the_credits_it_is_worth(client, alice, sandbox):
    client.force_login(alice)

    client.post("/billing/top-ups/", {"amount": "12.34"})

    top_up = TopUp.objects.get()
    assert (top_up.amount_cents, top_up.credits, top_up.pack) == (1234, 1234, None)


@pytest.mark.sqlite
def test_the_credit_value_sets_how_many_credits_a_dollar_buys(client, alice, sandbox, settings):
    settings.CREDIT_VALUE_USD = "0.05"
    client.force_login(alice)

    top_up = top_up_with_sandbox(client, 1000)

    assert top_up.credits == 200


@pytest.mark.sqlite
def test_the_ledger_is_paginated_and_exported_as_csv(client, alice, bob):
    for i in range(45):
        services.credits_grant(user=alice, amount=i + 1, reason=f"grant number {i}")
    services.credits_grant(user=bob, amount=5, reason="bob's own")
    client.force_login(alice)

    first = client.get("/billing/").content.decode()
    third = client.get("/billing/?page=3").content.decode()
    assert "Page 1 of 3" in first and "grant number 44" in first and "grant number 0<" not in first
    assert "grant number 0<" in third

    response = client.get("/billing/ledger.csv")
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["created_at", "kind", "amount"]
    assert len(rows) == 46
    assert {r[1] for r in rows[1:]} == {"grant"}
    assert all("bob" not in r[-1] for r in rows[1:])
    assert rows[1][5] == str(sum(range(1, 46)))  # newest first: the balance after the last grant
