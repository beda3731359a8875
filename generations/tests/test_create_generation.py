"""POST /v1/video/generations: the answer, the price held, and every refusal changing nothing."""

import base64
import json

import pytest

from billing.models import Hold, LedgerEntry
from billing.selectors import balance_get
from generations.models import Generation
from generations.tests.conftest import auth, state_of

URL = "/v1/video/generations"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()


def post(client, key, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data, content_type="application/json", **auth(key), **extra)


def assert_error(response, status, code, param=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert error["code"] == code
    assert error["message"]
    if param:
        assert error["param"] == param
    return error


@pytest.mark.sqlite
def test_it_answers_the_generation_at_once_and_holds_its_price(client, funded, alice_key):
    response = post(client, alice_key, {"model": "veo-3", "prompt": "waves", "duration": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["id"].startswith("gen_")
    assert body["object"] == "video.generation"
    assert body["status"] == "queued"
    assert body["cost"] == 200  # 5 s x 40 credits
    assert body["aspect_ratio"] == "16:9"
    assert body["video_url"] is None and body["error"] is None
    assert body["simulated"] is True
    assert balance_get(user=funded).available == 800
    assert balance_get(user=funded).held == 200
    generation = Generation.objects.get(pk=body["id"])
    assert generation.upstream_duration == 6  # veo-3 makes 6 s; we trim to 5
    assert Hold.objects.get(reference=body["id"]).amount == 200


def test_the_session_with_its_csrf_token_may_create_too(funded):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(funded)
    refused = browser.post(
        URL, json.dumps({"model": "veo-2", "prompt": "x"}), content_type="application/json"
    )
    assert refused.status_code in (401, 403)
    browser.get("/v1/models")  # any page sets the cookie in the real site; set it here
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    browser.cookies["csrftoken"] = token
    answered = browser.post(
        URL,
        json.dumps({"model": "veo-2", "prompt": "x"}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert answered.status_code == 200, answered.content
    assert answered.json()["duration"] == 5  # veo-2's shortest


BAD_BODIES = [
    ({"prompt": "x", "duration": 5}, "invalid_parameter", "model"),
    ({"model": "veo-3", "duration": 5}, "invalid_parameter", "prompt"),
    ({"model": "veo-9", "prompt": "x"}, "model_not_found", "model"),
    ({"model": "veo-3", "prompt": ""}, "invalid_parameter", "prompt"),
    ({"model": "veo-3", "prompt": "   "}, "invalid_parameter", "prompt"),
    ({"model": "veo-3", "prompt": "x" * 2001}, "invalid_parameter", "prompt"),
    ({"model": "veo-3", "prompt": "x", "duration": 7}, "invalid_duration", "duration"),
    ({"model": "veo-2", "prompt": "x", "duration": 4}, "invalid_duration", "duration"),
    ({"model": "veo-3", "prompt": "x", "duration": "5"}, "invalid_parameter", "duration"),
    ({"model": "veo-3", "prompt": "x", "duration": 5.5}, "invalid_parameter", "duration"),
    ({"model": "veo-3", "prompt": "x", "duration": True}, "invalid_parameter", "duration"),
    ({"model": "veo-3", "prompt": 42}, "invalid_parameter", "prompt"),
    (
        {"model": "veo-3", "prompt": "x", "aspect_ratio": "4:3"},
        "invalid_aspect_ratio",
        "aspect_ratio",
    ),
    ({"model": "veo-3", "prompt": "x", "seed": 1}, "invalid_parameter", "seed"),
    (
        {"model": "veo-3", "prompt": "x", "image": "ftp://example.com/a.png"},
        "invalid_image",
        "image",
    ),
    (
        {"model": "veo-3", "prompt": "x", "image": "data:image/gif;base64,R0lGOD"},
        "invalid_image",
        "image",
    ),
    (
        {"model": "veo-3", "prompt": "x", "image": f"data:image/jpeg;base64,{PNG}"},
        "invalid_image",
        "image",
    ),
    (
        {"model": "veo-3", "prompt": "x", "image": "data:image/png;base64,@@@"},
        "invalid_image",
        "image",
    ),
    (
        {"model": "veo-3", "prompt": "x", "webhook_url": "http://example.com/hook"},
        "invalid_parameter",
        "webhook_url",
    ),
    (
        {"model": "veo-3", "prompt": "x", "webhook_url": "not a url"},
        "invalid_parameter",
        "webhook_url",
    ),
    (
        {"model": "veo-3", "prompt": "x", "webhook_url": "https://169.254.169.254/x"},
        "invalid_parameter",
        "webhook_url",
    ),
    (
        {"model": "veo-3", "prompt": "x", "webhook_url": "https://10.0.0.8/x"},
        "invalid_parameter",
        "webhook_url",
    ),
    (
        {"model": "veo-3", "prompt": "x", "image": "http://169.254.169.254/latest"},
        "invalid_image",
        "image",
    ),
    (
        {"model": "veo-3", "prompt": "x", "negative_prompt": "n" * 2001},
        "invalid_parameter",
        "negative_prompt",
    ),
    ([1, 2], "invalid_parameter", None),
]


@pytest.mark.sqlite
@pytest.mark.parametrize("body,code,param", BAD_BODIES)
def test_it_refuses_a_bad_body_with_400_and_changes_nothing(
    client, funded, alice_key, body, code, param
):
    before = state_of(funded)
    error = assert_error(post(client, alice_key, body), 400, code, param)
    assert error["type"] == "invalid_request_error"
    assert state_of(funded) == before


def test_it_refuses_an_oversized_image(client, funded, alice_key):
    big = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024)).decode()
    before = state_of(funded)
    assert_error(
        post(
            client,
            alice_key,
            {"model": "veo-3", "prompt": "x", "image": f"data:image/png;base64,{big}"},
        ),
        400,
        "image_too_large",
        "image",
    )
    assert state_of(funded) == before


def test_it_accepts_a_png_data_url_and_stores_the_image(client, funded, alice_key):
    response = post(
        client,
        alice_key,
        {"model": "veo-3", "prompt": "x", "image": f"data:image/png;base64,{PNG}"},
    )
    assert response.status_code == 200, response.content
    generation = Generation.objects.get(pk=response.json()["id"])
    assert generation.image_mime_type == "image/png"
    assert generation.image.read().startswith(b"\x89PNG")


def test_http_webhooks_to_loopback_need_the_setting(client, funded, alice_key, settings):
    body = {"model": "veo-3", "prompt": "x", "webhook_url": "http://127.0.0.1:9/hook"}
    settings.OUTBOUND_ALLOW_LOOPBACK = False
    assert_error(post(client, alice_key, body), 400, "invalid_parameter", "webhook_url")
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    assert post(client, alice_key, body).status_code == 200


@pytest.mark.sqlite
@pytest.mark.parametrize("raw", ['{"model": "veo-3", "prompt": ', "", "null", "not json"])
def test_it_refuses_malformed_json_with_400(client, funded, alice_key, raw):
    before = state_of(funded)
    response = post(client, alice_key, raw)
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]) == {"message", "type", "code", "param"}
    assert state_of(funded) == before


@pytest.mark.sqlite
def test_it_refuses_a_form_body_with_415(client, funded, alice_key):
    before = state_of(funded)
    response = client.post(URL, {"model": "veo-3", "prompt": "x"}, **auth(alice_key))
    assert_error(response, 415, "unsupported_media_type")
    assert state_of(funded) == before


@pytest.mark.sqlite
def test_it_answers_405_in_the_error_shape(client, alice_key):
    response = client.put(URL, "{}", content_type="application/json", **auth(alice_key))
    assert_error(response, 405, "method_not_allowed")
    response = client.delete(URL + "/gen_x", **auth(alice_key))
    assert_error(response, 405, "method_not_allowed")


@pytest.mark.sqlite
def test_it_refuses_without_a_key_and_changes_nothing(client, funded):
    before = state_of(funded)
    response = client.post(
        URL, json.dumps({"model": "veo-3", "prompt": "x"}), content_type="application/json"
    )
    assert_error(response, 401, "missing_api_key")
    response = post(client, "sk-veo-nonsense", {"model": "veo-3", "prompt": "x"})
    assert response.status_code == 401
    assert state_of(funded) == before


@pytest.mark.sqlite
def test_it_answers_402_naming_the_price_and_the_balance(client, alice, alice_key):
    from billing import services as billing_services

    billing_services.credits_grant(user=alice, amount=100, reason="test")
    before = state_of(alice)
    response = post(client, alice_key, {"model": "veo-3", "prompt": "x", "duration": 8})
    error = assert_error(response, 402, "insufficient_quota")
    assert error["type"] == "insufficient_quota"
    assert "320" in error["message"] and "100" in error["message"]
    assert state_of(alice) == before


@pytest.mark.sqlite
def test_the_same_idempotency_key_and_body_answer_the_first_result_and_charge_once(
    client, funded, alice_key
):
    body = {"model": "veo-3", "prompt": "once", "duration": 4}
    first = post(client, alice_key, body, HTTP_IDEMPOTENCY_KEY="k-1")
    second = post(client, alice_key, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Generation.objects.count() == 1
    assert balance_get(user=funded).held == 160
    assert LedgerEntry.objects.filter(kind="hold").count() == 1


@pytest.mark.sqlite
def test_the_same_idempotency_key_with_another_body_is_a_400(client, funded, alice_key):
    post(
        client,
        alice_key,
        {"model": "veo-3", "prompt": "once", "duration": 4},
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    before = state_of(funded)
    response = post(
        client,
        alice_key,
        {"model": "veo-3", "prompt": "twice", "duration": 4},
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert_error(response, 400, "idempotency_key_reused")
    assert state_of(funded) == before


def test_idempotency_keys_belong_to_their_user(client, funded, alice_key, bob, bob_key):
    from billing import services as billing_services

    billing_services.credits_grant(user=bob, amount=1000, reason="test")
    body = {"model": "veo-3", "prompt": "same", "duration": 4}
    a = post(client, alice_key, body, HTTP_IDEMPOTENCY_KEY="shared")
    b = post(client, bob_key, body, HTTP_IDEMPOTENCY_KEY="shared")
    assert a.json()["id"] != b.json()["id"]


def test_an_idempotency_key_is_free_again_after_24_hours(client, funded, alice_key):
    from datetime import timedelta

    body = {"model": "veo-3", "prompt": "daily", "duration": 4}
    first = post(client, alice_key, body, HTTP_IDEMPOTENCY_KEY="day")
    Generation.objects.filter(pk=first.json()["id"]).update(
        created_at=Generation.objects.get().created_at - timedelta(hours=25)
    )
    second = post(client, alice_key, body, HTTP_IDEMPOTENCY_KEY="day")
    assert second.json()["id"] != first.json()["id"]
    assert balance_get(user=funded).held == 320


@pytest.mark.sqlite
@pytest.mark.parametrize(
    "body,param",
    [
        ({"model": "veo-3", "prompt": "nul \u0000 byte"}, "prompt"),
        ({"model": "veo-3", "prompt": "lone \udc00 surrogate"}, "prompt"),
        ({"model": "veo-3\u0000", "prompt": "x"}, "model"),
    ],
)
def test_it_refuses_text_that_cannot_be_stored(client, funded, alice_key, body, param):
    before = state_of(funded)
    raw = json.dumps(body)  # escapes the NUL and the surrogate, as a JSON client would
    assert_error(post(client, alice_key, raw), 400, "invalid_parameter", param)
    assert state_of(funded) == before


@pytest.mark.sqlite
def test_an_id_that_cannot_be_ours_is_just_404(client, alice_key):
    response = client.get("/v1/video/generations/gen_%00x", **auth(alice_key))
    assert_error(response, 404, "generation_not_found")
    response = client.get("/v1/video/generations?after=gen_%00", **auth(alice_key))
    assert_error(response, 400, "invalid_cursor")


@pytest.mark.sqlite
def test_a_refused_request_leaves_no_image_file_behind(client, alice, alice_key, settings):
    from billing import services as billing_services

    billing_services.credits_grant(user=alice, amount=10, reason="test")  # too little
    inputs = settings.MEDIA_ROOT / "inputs"
    before = sorted(inputs.iterdir()) if inputs.exists() else []
    body = {"model": "veo-3", "prompt": "x", "image": f"data:image/png;base64,{PNG}"}
    assert_error(post(client, alice_key, body), 402, "insufficient_quota")
    after = sorted(inputs.iterdir()) if inputs.exists() else []
    assert after == before
