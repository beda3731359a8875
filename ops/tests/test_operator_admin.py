"""The operator's day in the admin: grant, refund, fail and release a stuck generation, and see
it on the dashboard. Ledger rows stay as written; customers get nothing of any of it."""

import pytest

from billing import services as billing
from billing.models import LedgerEntry
from billing.selectors import balance_get


@pytest.fixture
def sandbox(settings):
    settings.PAYMENT_PROVIDER = "sandbox"
    settings.STRIPE_SECRET_KEY = ""


def outstanding(client):
    """The dashboard's 'Credits outstanding' figure, as the operator reads it."""
    page = client.get("/ops/?days=7").content.decode()
    tile = page.split("Credits outstanding</div>", 1)[1]
    return int(tile.split('<div class="stat">', 1)[1].split("<", 1)[0].replace(",", ""))


@pytest.mark.sqlite
def test_staff_grant_credits_from_the_admin_and_see_them_on_the_dashboard(client, staff, alice):
    client.force_login(staff)
    before = outstanding(client)
    answer = client.post(
        "/admin/billing/account/credit/",
        {"email": alice.email, "kind": "grant", "amount": 250, "reason": "Support goodwill"},
    )
    assert answer.status_code == 302
    assert balance_get(user=alice).available == 250
    entry = LedgerEntry.objects.get(user=alice)
    assert entry.kind == "grant" and "Support goodwill" in entry.description
    assert outstanding(client) == before + 250


@pytest.mark.sqlite
def test_staff_refund_a_top_up_from_the_admin(client, staff, alice, sandbox):
    top_up = billing.top_up_create(user=alice, amount_cents=2500)
    billing.top_up_fulfil(top_up_id=top_up.id, amount_cents=2500, currency="usd")
    assert balance_get(user=alice).available == 2500
    client.force_login(staff)
    answer = client.post(
        "/admin/billing/topup/", {"action": "refund", "_selected_action": [top_up.pk]}
    )
    assert answer.status_code == 302
    top_up.refresh_from_db()
    assert top_up.status == "refunded"
    assert balance_get(user=alice).available == 0
    assert LedgerEntry.objects.filter(user=alice, kind="refund").count() == 1
    page = client.get("/ops/?days=7").content.decode()
    assert "after $25.00 refunded" in page


@pytest.mark.sqlite
def test_ledger_rows_cannot_be_edited_or_deleted_through_the_admin(client, staff, alice):
    entry = billing.credits_grant(user=alice, amount=100, reason="x")
    client.force_login(staff)
    url = f"/admin/billing/ledgerentry/{entry.pk}/"
    assert client.post(url + "change/", {"amount": 5, "delta_available": 5}).status_code == 403
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    client.post(
        "/admin/billing/ledgerentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    entry.refresh_from_db()
    assert (entry.amount, entry.delta_available, entry.description) == (100, 100, "x")
    assert balance_get(user=alice).available == 100


@pytest.mark.sqlite
def test_a_customer_gets_nothing_of_the_admin_or_the_dashboard(client, alice):
    billing.credits_grant(user=alice, amount=100, reason="x")
    client.force_login(alice)
    for path in (
        "/admin/",
        "/admin/billing/ledgerentry/",
        "/admin/billing/account/credit/",
        "/admin/generations/generation/",
        "/admin/ops/plan/",
    ):
        answer = client.get(path)
        assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
    assert client.get("/ops/").status_code == 404
    assert client.get("/ops/export.csv").status_code == 404
    client.post(
        "/admin/billing/account/credit/",
        {"email": alice.email, "kind": "grant", "amount": 5000, "reason": "me"},
    )
    assert balance_get(user=alice).available == 100


@pytest.mark.sqlite
def test_staff_fail_and_release_a_stuck_generation_which_frees_the_customers_slot(
    client, staff, alice
):
    from accounts.services import api_key_create

    billing.credits_grant(user=alice, amount=1000, reason="test credits")
    _, raw_key = api_key_create(user=alice, name="k", rpm_limit=100)

    def create():
        return client.post(
            "/v1/video/generations",
            {"model": "veo-3-fast", "prompt": "A stuck one", "duration": 4},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw_key}",
        )

    stuck = create().json()
    create()
    assert create().json()["error"]["code"] == "too_many_inflight"  # Free plan: two in flight
    assert balance_get(user=alice).held == 120

    client.force_login(staff)
    answer = client.post(
        "/admin/generations/generation/",
        {"action": "fail_and_release", "_selected_action": [stuck["id"]]},
    )
    assert answer.status_code == 302
    assert balance_get(user=alice).held == 60
    assert balance_get(user=alice).available == 940
    poll = client.get(
        f"/v1/video/generations/{stuck['id']}", HTTP_AUTHORIZATION=f"Bearer {raw_key}"
    ).json()
    assert poll["status"] == "failed"
    assert poll["error"]["code"] == "cancelled_by_operator"
    assert "failed <strong>1</strong>" in client.get("/ops/?days=7").content.decode()

    client.logout()
    assert create().status_code == 200  # the released slot is the customer's again
