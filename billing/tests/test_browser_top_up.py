"""The top-up story in Chromium: sign in, buy credits with the sandbox provider, see the balance
rise on the result page and on the billing page."""

import pytest

from billing import services
from conftest import make_user

PASSWORD = "correct horse battery staple"


@pytest.mark.browser
@pytest.mark.sqlite
def test_a_sandbox_top_up_in_a_real_browser(start_server, page, screenshot, transactional_db):
    user = make_user("carol@example.com", password=PASSWORD)
    services.credits_grant(user=user, amount=250, reason="Welcome credits")
    services.hold_place(
        user=user, amount=120, reference="gen_browser_demo", description="veo-3 · 4 s"
    )
    base = start_server(PAYMENT_PROVIDER="sandbox", STRIPE_SECRET_KEY="")

    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state()
    page.goto(base + "/billing/")

    assert page.inner_text("#balance-available") == "130"
    assert page.inner_text("#balance-held") == "120"
    assert "Sandbox — test payments, no real money" in page.inner_text(".provider-note")
    screenshot("billing-page-before")

    page.click("button.pack:has-text('$10')")
    page.wait_for_url("**/billing/sandbox/checkout/**")
    assert "TEST MODE" in page.inner_text(".sandbox-ribbon")
    assert "Pay $10.00" in page.inner_text("h1")
    screenshot("billing-sandbox-checkout")

    page.click("button:has-text('Pay (test)')")
    page.wait_for_url("**/billing/top-ups/**")
    page.wait_for_selector(".result-state.paid:not([hidden])")
    assert "1,000 credits added" in page.inner_text(".result-state.paid h1")
    assert page.inner_text("#new-balance") == "1,130"
    screenshot("billing-top-up-success")

    page.click("a:has-text('Back to billing')")
    page.wait_for_load_state()
    assert page.inner_text("#balance-available") == "1,130"
    assert "Paid" in page.inner_text("table.top-ups")
    assert "Top-up $10.00 (sandbox)" in page.inner_text("table.ledger")
    screenshot("billing-page-after")
