"""The operator's dashboard: staff see the business in figures and charts; nobody else sees it."""

import csv
import io

import pytest

from billing.selectors import balance_get
from generations.models import Generation
from ops.tests.activity import seed_activity


@pytest.mark.sqlite
def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/ops/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/ops/export.csv").status_code == 302


@pytest.mark.sqlite
def test_a_customer_finds_nothing_at_ops(client, alice):
    client.force_login(alice)
    assert client.get("/ops/").status_code == 404
    assert client.get("/ops/export.csv?days=90").status_code == 404


@pytest.mark.sqlite
def test_staff_see_revenue_credits_and_generations(client, staff, alice, bob):
    written = seed_activity(users=[alice, bob])
    client.force_login(staff)
    response = client.get("/ops/?days=30")
    assert response.status_code == 200
    page = response.content.decode()
    revenue = written["revenue_cents"] / 100
    assert f"${revenue:,.2f}" in page
    assert f"{written['credits_sold']:,}" in page
    outstanding = sum(balance_get(user=u).available for u in (alice, bob))
    held = sum(balance_get(user=u).held for u in (alice, bob))
    assert f"{outstanding:,}" in page
    assert f"{held:,}" in page
    assert page.count("<svg") == 4
    for status, count in written["generations"].items():
        assert f"{status} <strong>{count}</strong>" in page


@pytest.mark.sqlite
def test_the_period_narrows_what_is_counted(client, staff, alice):
    seed_activity(users=[alice], days=20)
    client.force_login(staff)
    week = client.get("/ops/export.csv?days=7")
    quarter = client.get("/ops/export.csv?days=90")
    week_rows = list(csv.DictReader(io.StringIO(week.content.decode())))
    quarter_rows = list(csv.DictReader(io.StringIO(quarter.content.decode())))
    assert len(week_rows) == 7 and len(quarter_rows) == 90
    total = Generation.objects.count()
    counted = sum(
        int(r[f"generations_{s}"])
        for r in quarter_rows
        for s in ("queued", "running", "succeeded", "failed")
    )
    assert counted == total
    week_counted = sum(int(r["generations_succeeded"]) for r in week_rows)
    assert week_counted < sum(int(r["generations_succeeded"]) for r in quarter_rows)


@pytest.mark.sqlite
def test_the_csv_export_adds_up_to_the_ledger(client, staff, alice, bob):
    written = seed_activity(users=[alice, bob])
    client.force_login(staff)
    response = client.get("/ops/export.csv?days=30")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sum(int(r["credits_sold"]) for r in rows) == written["credits_sold"]
    assert round(sum(float(r["revenue_usd"]) for r in rows) * 100) == written["revenue_cents"]
    assert sum(int(r["generations_failed"]) for r in rows) == written["generations"]["failed"]


@pytest.mark.sqlite
def test_failure_rate_per_model_counts_finished_work_only(client, staff, alice):
    written = seed_activity(users=[alice])
    client.force_login(staff)
    page = client.get("/ops/?days=30").content.decode()
    for slug, failed in written["failed_by_model"].items():
        finished = Generation.objects.filter(
            model__slug=slug, status__in=["succeeded", "failed"]
        ).count()
        assert f"{failed / finished * 100:.1f}%" in page


@pytest.mark.sqlite
def test_the_models_csv_has_one_row_per_model(client, staff, alice):
    written = seed_activity(users=[alice])
    client.force_login(staff)
    response = client.get("/ops/export.csv?days=30&table=models")
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO(response.content.decode()))}
    assert set(rows) == {"veo-3", "veo-3-fast", "veo-2"}
    for slug, failed in written["failed_by_model"].items():
        assert int(rows[slug]["failed"]) == failed
        assert int(rows[slug]["latency_avg_ms"]) > 0
