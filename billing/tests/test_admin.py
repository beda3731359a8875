"""The operator's billing admin: a read-only, append-only ledger; grants, adjustments and refunds
through the same services as everything else."""

import pytest

from billing import services
from billing.models import LedgerEntry, TopUp
from billing.selectors import balance_get, ledger_mismatches


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.mark.sqlite
def test_ledger_rows_cannot_be_added_edited_or_deleted(staff_client, alice):
    entry = services.credits_grant(user=alice, amount=100, reason="x")

    assert staff_client.get("/admin/billing/ledgerentry/").status_code == 200
    assert staff_client.get("/admin/billing/ledgerentry/add/").status_code == 403
    change = staff_client.post(
        f"/admin/billing/ledgerentry/{entry.pk}/change/",
        {"amount": 99999, "delta_available": 99999},
    )
    assert change.status_code == 403
    assert (
        staff_client.post(
            f"/admin/billing/ledgerentry/{entry.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    bulk = staff_client.post(
        "/admin/billing/ledgerentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert (entry.amount, entry.delta_available) == (100, 100)
    assert LedgerEntry.objects.count() == 1
    assert balance_get(user=alice).available == 100


@pytest.mark.sqlite
def test_the_change_page_shows_an_entry_read_only(staff_client, alice):
    entry = services.credits_grant(user=alice, amount=100, reason="visible reason")
    page = staff_client.get(f"/admin/billing/ledgerentry/{entry.pk}/change/").content.decode()
    assert "visible reason" in page
    assert 'name="amount"' not in page


@pytest.mark.sqlite
def test_staff_can_grant_credits_from_the_admin(staff_client, alice):
    response = staff_client.post(
        "/admin/billing/account/credit/",
        {"email": alice.email, "kind": "grant", "amount": 300, "reason": "Support goodwill"},
    )

    assert response.status_code == 302
    entry = alice.ledger_entries.get()
    assert entry.kind == "grant" and entry.description.startswith("Support goodwill (by staff@")
    assert balance_get(user=alice).available == 300


@pytest.mark.sqlite
def test_an_adjustment_removes_credits_but_not_below_zero(staff_client, alice):
    services.credits_grant(user=alice, amount=300, reason="x")

    ok = staff_client.post(
        "/admin/billing/account/credit/",
        {"email": alice.email, "kind": "adjustment", "amount": -120, "reason": "Double grant"},
    )
    refused = staff_client.post(
        "/admin/billing/account/credit/",
        {"email": alice.email, "kind": "adjustment", "amount": -500, "reason": "Too much"},
    )

    assert ok.status_code == 302
    assert refused.status_code == 200 and b"below zero" in refused.content
    assert balance_get(user=alice).available == 180
    assert list(alice.ledger_entries.values_list("kind", flat=True)) == ["adjustment", "grant"]
    assert ledger_mismatches() == []


@pytest.mark.sqlite
def test_a_grant_of_a_negative_amount_is_refused(staff_client, alice):
    response = staff_client.post(
        "/admin/billing/account/credit/",
        {"email": alice.email, "kind": "grant", "amount": -5, "reason": "x"},
    )
    assert response.status_code == 200
    assert not LedgerEntry.objects.exists()


@pytest.mark.sqlite
def test_a_sandbox_top_up_refunded_from_the_admin_is_debited_at_once(staff_client, alice, sandbox):
    top_up = services.top_up_create(user=alice, amount_cents=1000)
    services.top_up_fulfil(top_up_id=top_up.id, amount_cents=1000, currency="usd")

    staff_client.post(
        "/admin/billing/topup/", {"action": "refund", "_selected_action": [top_up.pk]}
    )
    staff_client.post(
        "/admin/billing/topup/", {"action": "refund", "_selected_action": [top_up.pk]}
    )

    top_up.refresh_from_db()
    assert (top_up.status, top_up.refunded_cents) == ("refunded", 1000)
    assert balance_get(user=alice).available == 0
    assert alice.ledger_entries.filter(kind="refund").count() == 1


@pytest.mark.sqlite
def test_people_who_are_not_staff_get_nothing_of_the_billing_admin(client, alice):
    services.credits_grant(user=alice, amount=100, reason="x")
    client.force_login(alice)
    for url in (
        "/admin/billing/ledgerentry/",
        "/admin/billing/account/credit/",
        "/admin/billing/topup/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(
        "/admin/billing/account/credit/",
        {"email": alice.email, "kind": "grant", "amount": 5000, "reason": "me"},
    )
    assert response.status_code == 302
    assert balance_get(user=alice).available == 100
    assert not TopUp.objects.exists()


@pytest.mark.sqlite
def test_every_billing_admin_page_opens_for_staff(staff_client, alice, sandbox):
    services.credits_grant(user=alice, amount=100, reason="x")
    services.hold_place(user=alice, amount=10, reference="gen_admin")
    top_up = services.top_up_create(user=alice, amount_cents=1000)
    services.top_up_fulfil(top_up_id=top_up.id, amount_cents=1000, currency="usd")
    services.top_up_refund(top_up=top_up, amount_cents=100)
    for url in (
        "/admin/billing/",
        "/admin/billing/account/",
        "/admin/billing/account/credit/?email=alice@example.com",
        "/admin/billing/ledgerentry/",
        "/admin/billing/hold/",
        "/admin/billing/topup/",
        f"/admin/billing/topup/{top_up.pk}/change/",
        "/admin/billing/topuprefund/",
        "/admin/billing/stripeevent/",
        "/admin/billing/topuppack/",
    ):
        response = staff_client.get(url)
        assert response.status_code == 200, url
    page = staff_client.get(f"/admin/billing/topup/{top_up.pk}/change/").content.decode()
    assert "sbre_" in page  # the refund, inline


@pytest.mark.sqlite
def test_staff_can_edit_the_top_up_packs(staff_client):
    from billing.models import TopUpPack

    pack = TopUpPack.objects.get(amount_cents=500)
    response = staff_client.post(
        f"/admin/billing/topuppack/{pack.pk}/change/",
        {"name": "Taster", "amount_cents": 300, "is_active": "on", "sort_order": 0},
    )
    assert response.status_code == 302
    pack.refresh_from_db()
    assert (pack.name, pack.amount_cents) == ("Taster", 300)
