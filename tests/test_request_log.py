"""Every request gets one log line with a request id, sent back as x-request-id; no secrets."""

import logging

import pytest


@pytest.mark.sqlite
def test_each_answer_carries_a_request_id_that_the_log_line_names(client, caplog):
    with caplog.at_level(logging.INFO, logger="veoportal.request"):
        response = client.get("/healthz")
    request_id = response["x-request-id"]
    assert request_id.startswith("req_")
    lines = [r.getMessage() for r in caplog.records if r.name == "veoportal.request"]
    assert len(lines) == 1
    assert lines[0].startswith(f"{request_id} GET /healthz 200 ")


def test_a_sane_incoming_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234abcd")
    assert response["x-request-id"] == "lb-1234abcd"


def test_the_log_never_holds_the_authorization_header_or_query_string(client, caplog, db):
    secret = "sk-veo-" + "A" * 46
    with caplog.at_level(logging.DEBUG):
        client.get("/v1/models?token=hunter2", HTTP_AUTHORIZATION=f"Bearer {secret}")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/v1/models" in text
    assert secret not in text
    assert "hunter2" not in text
