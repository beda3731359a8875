"""The admin site is the operator's: titled for them, in working order, closed to customers."""

import re

import pytest


@pytest.mark.sqlite
def test_the_admin_index_is_titled_and_ordered_for_the_work(client, staff):
    client.force_login(staff)
    page = client.get("/admin/").content.decode()
    assert "veoportal operator" in page
    captions = re.findall(r'<caption>\s*<a href="/admin/([a-z_]+)/"', page)
    known = [c for c in captions if c in ("accounts", "billing", "generations", "ops")]
    assert known == [c for c in ("accounts", "billing", "generations", "ops") if c in captions]
    assert "ops" in captions and "accounts" in captions


@pytest.mark.sqlite
def test_staff_edit_plans_in_the_admin(client, staff):
    from ops.models import Plan

    client.force_login(staff)
    free = Plan.objects.get(name="Free")
    page = client.get(f"/admin/ops/plan/{free.pk}/change/")
    assert page.status_code == 200
    answer = client.post(
        f"/admin/ops/plan/{free.pk}/change/",
        {
            "name": "Free",
            "min_lifetime_topup_credits": 0,
            "requests_per_minute": 25,
            "max_in_flight": 3,
        },
    )
    assert answer.status_code == 302
    free.refresh_from_db()
    assert (free.requests_per_minute, free.max_in_flight) == (25, 3)


@pytest.mark.sqlite
def test_a_customer_gets_nothing_of_the_admin(client, alice):
    client.force_login(alice)
    for path in (
        "/admin/",
        "/admin/ops/plan/",
        "/admin/billing/ledgerentry/",
        "/admin/accounts/user/",
    ):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer["Location"].startswith("/admin/login/")
    # The login page a customer is sent to does not let them in either.
    page = client.get("/admin/", follow=True).content.decode()
    assert "Site administration" not in page and "Run the portal" not in page
