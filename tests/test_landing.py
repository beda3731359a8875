"""The landing page says what the product is and leads to sign-up, the API docs and the studio."""

import pytest


@pytest.mark.sqlite
def test_landing_links_to_signup_docs_and_studio(client, db):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Veo" in html
    for href in ('href="/accounts/signup/"', 'href="/v1/docs"', 'href="/studio/"'):
        assert href in html


@pytest.mark.browser
def test_landing_page_renders_in_chromium(start_server, page, screenshot):
    base = start_server()
    page.goto(base + "/")
    assert page.locator("h1").inner_text().startswith("Generate videos with Veo")
    assert page.get_by_role("link", name="Create an account").is_visible()
    path = screenshot("landing")
    assert path.stat().st_size > 10_000
