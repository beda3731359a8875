"""The dashboard in Chromium, with real figures behind its charts."""

import pytest
from django.test import Client

from ops.tests.activity import seed_activity


@pytest.mark.browser
@pytest.mark.sqlite
def test_staff_read_the_dashboard_in_a_browser(start_server, page, screenshot, staff, alice, bob):
    seed_activity(users=[alice, bob])
    base = start_server(workers=1)
    client = Client()
    client.force_login(staff)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )

    page.goto(base + "/ops/?days=30")
    assert page.locator("h1").inner_text() == "Operator"
    assert page.locator("svg.chart").count() == 4
    assert page.locator("svg.chart rect.s-succeeded").count() > 5
    box = page.locator("svg.chart").first.bounding_box()
    assert box["width"] > 600 and box["height"] > 150
    screenshot("ops-dashboard-30d")

    page.get_by_role("link", name="7 days").click()
    assert page.url.endswith("?days=7")
    assert page.locator(".ops-periods a.current").inner_text() == "7 days"
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "veoportal-daily-7d.csv"

    page.get_by_role("link", name="90 days").click()
    assert page.locator("svg.chart").first.locator("text.axis").count() > 10
    screenshot("ops-dashboard-90d", full_page=False)


@pytest.mark.browser
def test_the_admin_index_reads_as_the_operators_desk(start_server, page, screenshot, staff):
    base = start_server(workers=1)
    client = Client()
    client.force_login(staff)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
    )
    page.goto(base + "/admin/")
    assert page.locator("#site-name").inner_text() == "veoportal operator"
    captions = page.locator("caption a").all_inner_texts()
    first = [c.lower() for c in captions[:4]]
    assert first[0] == "accounts" and first[1] == "billing" and first[2] == "generations"
    assert [c.lower() for c in captions].count("accounts") == 1
    screenshot("ops-admin-index")
