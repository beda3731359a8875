"""GET a generation, list them, download the content: only ever the caller's own."""

import pytest
from django.test import Client

from generations import services
from generations.models import Generation
from generations.tests.conftest import auth, finish


@pytest.fixture
def finished(funded, settings):
    """One of alice's generations that succeeded on the simulator."""
    settings.SIMULATOR_LATENCY = 0
    settings.VIDEO_PROVIDER = "simulator"
    generation = finish(funded)
    assert generation.status == "succeeded"
    return generation


@pytest.mark.sqlite
def test_it_answers_the_generation_with_a_signed_video_url(client, finished, alice_key):
    body = client.get(f"/v1/video/generations/{finished.id}", **auth(alice_key)).json()
    assert body["status"] == "succeeded" and body["progress"] == 100
    assert body["completed_at"] >= body["created_at"]
    assert body["video_url"].startswith("http://") and "?s=" in body["video_url"]
    assert body["poster_url"]
    video = Client().get(body["video_url"].split("127.0.0.1:8000", 1)[-1])
    assert video.status_code == 200
    assert b"".join(video.streaming_content) == finished.video.open("rb").read()


@pytest.mark.sqlite
def test_bob_gets_404_for_alices_generation_exactly_like_an_unknown_one(client, finished, bob_key):
    theirs = client.get(f"/v1/video/generations/{finished.id}", **auth(bob_key))
    unknown = client.get("/v1/video/generations/gen_doesnotexist", **auth(bob_key))
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["error"]["code"] == unknown.json()["error"]["code"]
    assert theirs.json()["error"]["message"].replace(finished.id, "X") == unknown.json()["error"][
        "message"
    ].replace("gen_doesnotexist", "X")


@pytest.mark.sqlite
def test_bob_gets_404_for_alices_content(client, finished, bob_key):
    response = client.get(f"/v1/video/generations/{finished.id}/content", **auth(bob_key))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "generation_not_found"


@pytest.mark.sqlite
def test_bob_does_not_see_alices_generations_in_his_list(client, finished, bob_key):
    body = client.get("/v1/video/generations", **auth(bob_key)).json()
    assert body == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


@pytest.mark.sqlite
def test_content_serves_the_mp4_with_the_key_and_honours_range(client, finished, alice_key):
    url = f"/v1/video/generations/{finished.id}/content"
    whole = client.get(url, **auth(alice_key))
    assert whole.status_code == 200
    assert whole["Content-Type"] == "video/mp4" and whole["Accept-Ranges"] == "bytes"
    data = b"".join(whole.streaming_content)
    part = client.get(url, HTTP_RANGE="bytes=10-19", **auth(alice_key))
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert b"".join(part.streaming_content) == data[10:20]
    tail = client.get(url, HTTP_RANGE="bytes=-5", **auth(alice_key))
    assert b"".join(tail.streaming_content) == data[-5:]
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(data)}-", **auth(alice_key))
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.sqlite
def test_content_of_an_unfinished_generation_is_404(client, funded, alice_key):
    generation = services.generation_create(user=funded, model="veo-2", prompt="later")
    response = client.get(f"/v1/video/generations/{generation.id}/content", **auth(alice_key))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "video_not_ready"


@pytest.mark.sqlite
def test_the_list_pages_newest_first_with_a_cursor(client, funded, alice_key):
    made = []
    for i in range(5):
        made.append(
            services.generation_create(
                user=funded, model="veo-3-fast", prompt=f"p{i}", duration=4
            ).id
        )
        # Settled at once, so the plan's cap on generations in flight stays out of the way.
        services.generation_fail(generation_id=made[-1], code="test", message="test")
    newest_first = list(reversed(made))
    first = client.get("/v1/video/generations?limit=2", **auth(alice_key)).json()
    assert [g["id"] for g in first["data"]] == newest_first[:2]
    assert first["first_id"] == newest_first[0] and first["last_id"] == newest_first[1]
    assert first["has_more"] is True
    second = client.get(
        f"/v1/video/generations?limit=2&after={first['last_id']}", **auth(alice_key)
    ).json()
    assert [g["id"] for g in second["data"]] == newest_first[2:4]
    third = client.get(
        f"/v1/video/generations?limit=2&after={second['last_id']}", **auth(alice_key)
    ).json()
    assert [g["id"] for g in third["data"]] == newest_first[4:]
    assert third["has_more"] is False


@pytest.mark.sqlite
def test_the_list_filters_by_status_and_refuses_bad_queries(client, funded, alice_key):
    services.generation_create(user=funded, model="veo-3-fast", prompt="q", duration=4)
    queued = client.get("/v1/video/generations?status=queued", **auth(alice_key)).json()
    assert len(queued["data"]) == 1
    assert (
        client.get("/v1/video/generations?status=succeeded", **auth(alice_key)).json()["data"] == []
    )
    for query in ("limit=0", "limit=101", "limit=x", "status=done", "after=gen_unknown"):
        response = client.get(f"/v1/video/generations?{query}", **auth(alice_key))
        assert response.status_code == 400, query
        assert set(response.json()["error"]) == {"message", "type", "code", "param"}


@pytest.mark.sqlite
def test_models_answer_the_openai_list_shape_with_prices(client, alice_key):
    body = client.get("/v1/models", **auth(alice_key)).json()
    assert body["object"] == "list"
    veo3 = next(m for m in body["data"] if m["id"] == "veo-3")
    assert veo3["object"] == "model" and veo3["name"] == "Veo 3"
    assert veo3["durations"] == [4, 5, 6, 8]
    assert veo3["aspect_ratios"] == ["16:9", "9:16"]
    assert veo3["resolution"] == "720p" and veo3["price_per_second"] == 40
    assert {m["id"] for m in body["data"]} >= {"veo-3", "veo-3-fast", "veo-2"}


@pytest.mark.sqlite
def test_an_inactive_model_is_not_listed_nor_accepted(client, funded, alice_key):
    from generations.models import VideoModel

    VideoModel.objects.filter(slug="veo-2").update(is_active=False)
    body = client.get("/v1/models", **auth(alice_key)).json()
    assert "veo-2" not in {m["id"] for m in body["data"]}
    with pytest.raises(Exception, match="does not exist"):
        services.generation_create(user=funded, model="veo-2", prompt="x")
    assert not Generation.objects.exists()
