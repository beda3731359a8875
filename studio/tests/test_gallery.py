"""The studio page and its gallery feed: only the owner's cards, newest first, paged and
filtered, and completion shown once the studio's receiver has heard of it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from studio.models import ReceivedEvent

pytestmark = pytest.mark.sqlite

RECEIVER = "http://127.0.0.1:8000/studio/webhooks/"


@pytest.fixture
def site(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/studio/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.get("/studio/feed/").status_code == 401


def test_the_page_shows_an_empty_gallery_and_the_receiver_url(client, alice, site):
    client.force_login(alice)
    response = client.get("/studio/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your gallery is empty" in page
    assert RECEIVER in page
    assert response.cookies.get("csrftoken")  # the page's fetch() sends it back as X-CSRFToken


def test_bob_never_sees_alices_cards(client, alice, bob, make_generation):
    mine = make_generation(alice, status="succeeded", completed_at=timezone.now())
    client.force_login(bob)
    assert client.get(f"/studio/feed/{mine.id}/").status_code == 404
    assert client.get(f"/studio/feed/?ids={mine.id}").json() == {"cards": []}
    assert client.get("/studio/feed/").json()["cards"] == []
    assert mine.id not in client.get("/studio/").content.decode()
    # The video and poster behind the card answer bob like an unknown id.
    assert client.get(f"/v1/video/generations/{mine.id}/content").status_code == 404

    client.force_login(alice)
    assert client.get(f"/studio/feed/{mine.id}/").json()["id"] == mine.id
    assert mine.id in client.get("/studio/").content.decode()


def test_cards_come_newest_first_in_pages(client, alice, make_generation):
    now = timezone.now()
    made = [
        make_generation(alice, prompt=f"clip {i}", created_at=now - timedelta(minutes=i))
        for i in range(15)
    ]
    client.force_login(alice)
    first = client.get("/studio/feed/").json()
    assert [c["id"] for c in first["cards"]] == [g.id for g in made[:12]]
    assert first["next"] == made[11].id
    assert first["counts"]["all"] == 15
    second = client.get(f"/studio/feed/?before={first['next']}").json()
    assert [c["id"] for c in second["cards"]] == [g.id for g in made[12:]]
    assert second["next"] is None


def test_the_status_filter(client, alice, make_generation):
    ok = make_generation(alice, status="succeeded", completed_at=timezone.now())
    bad = make_generation(
        alice, status="failed", error_code="content_filtered", error_message="Blocked by safety."
    )
    make_generation(alice, status="running")
    client.force_login(alice)
    failed = client.get("/studio/feed/?status=failed").json()
    assert [c["id"] for c in failed["cards"]] == [bad.id]
    card = failed["cards"][0]
    assert card["credits_returned"] is True
    assert card["error"]["message"] == "Blocked by safety."
    assert [c["id"] for c in client.get("/studio/feed/?status=succeeded").json()["cards"]] == [
        ok.id
    ]
    assert failed["counts"] == {"all": 3, "queued": 0, "running": 1, "succeeded": 1, "failed": 1}


def test_completion_shows_once_the_receiver_has_heard_of_it(client, alice, site, make_generation):
    generation = make_generation(
        alice, status="succeeded", webhook_url=RECEIVER, completed_at=timezone.now()
    )
    client.force_login(alice)
    card = client.get(f"/studio/feed/{generation.id}/").json()
    assert (card["status"], card["progress"], card["video_url"]) == ("running", 99, None)

    ReceivedEvent.objects.create(
        webhook_id="evt_x",
        user=alice,
        generation=generation,
        type="video.generation.succeeded",
        status="succeeded",
        progress=100,
        payload={},
        sent_at=timezone.now(),
    )
    card = client.get(f"/studio/feed/{generation.id}/").json()
    assert (card["status"], card["progress"]) == ("succeeded", 100)
    assert card["webhook"]["heard"] == "succeeded"


def test_a_webhook_that_never_arrives_does_not_hide_the_video_forever(
    client, alice, site, make_generation
):
    generation = make_generation(
        alice,
        status="succeeded",
        webhook_url=RECEIVER,
        completed_at=timezone.now() - timedelta(minutes=2),
    )
    client.force_login(alice)
    assert client.get(f"/studio/feed/{generation.id}/").json()["status"] == "succeeded"


def test_running_cards_show_the_generations_progress(client, alice, make_generation):
    generation = make_generation(alice, status="running", progress=42)
    client.force_login(alice)
    card = client.get(f"/studio/feed/{generation.id}/").json()
    assert (card["status"], card["progress"]) == ("running", 42)
