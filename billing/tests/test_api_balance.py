"""GET /v1/balance: the caller's credits, for programs and for our own pages."""

import pytest

from accounts.services import api_key_create
from billing import services


@pytest.mark.sqlite
def test_it_answers_the_callers_balance(client, alice, bob, settings):
    settings.CREDIT_VALUE_USD = "0.01"
    services.credits_grant(user=alice, amount=1500, reason="test")
    services.hold_place(user=alice, amount=400, reference="gen_api")
    services.credits_grant(user=bob, amount=99, reason="test")
    _, raw_key = api_key_create(user=alice, name="test")

    response = client.get("/v1/balance", HTTP_AUTHORIZATION=f"Bearer {raw_key}")

    assert response.status_code == 200
    assert response.json() == {
        "object": "balance",
        "available": 1100,
        "held": 400,
        "unit": "credit",
        "credit_value_usd": "0.01",
    }


@pytest.mark.sqlite
def test_a_new_user_has_nothing(client, alice):
    _, raw_key = api_key_create(user=alice, name="test")
    body = client.get("/v1/balance", HTTP_AUTHORIZATION=f"Bearer {raw_key}").json()
    assert (body["available"], body["held"]) == (0, 0)


@pytest.mark.sqlite
def test_it_works_with_the_signed_in_session(client, alice):
    services.credits_grant(user=alice, amount=10, reason="test")
    client.force_login(alice)
    assert client.get("/v1/balance").json()["available"] == 10


@pytest.mark.sqlite
def test_it_refuses_a_missing_or_bad_key_in_the_error_shape(client, db):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer sk-veo-nonsense"}):
        response = client.get("/v1/balance", **headers)
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authentication_error"


@pytest.mark.sqlite
def test_the_openapi_document_describes_the_balance(client, db):
    doc = client.get("/v1/openapi.json").json()
    answer = doc["paths"]["/v1/balance"]["get"]["responses"]
    assert {"200", "401"} <= set(answer)
    schema = answer["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(doc["components"]["schemas"][schema]["properties"]) == {
        "object",
        "available",
        "held",
        "unit",
        "credit_value_usd",
    }
