"""The generations admin: the operator finds generations and fails a stuck one, once."""

import pytest
from django.urls import reverse

from billing.models import LedgerEntry
from billing.selectors import balance_get
from generations import services
from generations.models import Generation, VideoModel


@pytest.mark.sqlite
def test_staff_fail_and_release_a_stuck_generation(client, staff, funded):
    stuck = services.generation_create(user=funded, model="veo-3", prompt="stuck", duration=4)
    client.force_login(staff)
    listing = client.get("/admin/generations/generation/?status__exact=queued")
    assert listing.status_code == 200 and stuck.id in listing.content.decode()
    for _ in range(2):  # twice: the second time finds it settled
        client.post(
            "/admin/generations/generation/",
            {"action": "fail_and_release", "_selected_action": [stuck.id]},
        )
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.error_code == "cancelled_by_operator"
    assert LedgerEntry.objects.filter(kind="release", reference__endswith=stuck.id).count() == 1
    assert balance_get(user=funded).available == 1000


@pytest.mark.sqlite
def test_the_list_filters_and_the_detail_page_answer(client, staff, funded):
    generation = services.generation_create(user=funded, model="veo-2", prompt="seen")
    client.force_login(staff)
    for query in (
        "provider__exact=simulator",
        "model__id__exact=1",
        f"q={funded.email}",
        "error_code__exact=x",
    ):
        assert client.get(f"/admin/generations/generation/?{query}").status_code == 200
    # reverse() quotes the id as the admin's own links do ("gen_3F…" would otherwise unquote to "gen?…")
    detail = client.get(reverse("admin:generations_generation_change", args=[generation.id]))
    assert detail.status_code == 200 and "seen" in detail.content.decode()


@pytest.mark.sqlite
def test_staff_edit_a_models_price(client, staff):
    model = VideoModel.objects.get(slug="veo-2")
    client.force_login(staff)
    page = client.get(f"/admin/generations/videomodel/{model.pk}/change/")
    assert page.status_code == 200
    form = {
        "slug": "veo-2",
        "display_name": "Veo 2",
        "upstream_model": "veo-2.0-generate-001",
        "durations": "[5, 6, 7, 8]",
        "upstream_durations": "[5, 6, 7, 8]",
        "aspect_ratios": '["16:9", "9:16"]',
        "resolution": "720p",
        "price_per_second": "30",
        "is_active": "on",
        "sort_order": "3",
        "created_at_0": "2026-01-01",
        "created_at_1": "00:00:00",
    }
    answer = client.post(f"/admin/generations/videomodel/{model.pk}/change/", form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert VideoModel.objects.get(slug="veo-2").price_per_second == 30


@pytest.mark.sqlite
def test_a_customer_gets_no_generations_admin(client, alice):
    client.force_login(alice)
    assert client.get("/admin/generations/generation/").status_code == 302
    assert not Generation.objects.exists()
