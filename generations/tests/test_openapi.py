"""The OpenAPI document is true: a schema-driven fuzzer (schemathesis) drives every /v1
operation of a real server and finds no 500, no undocumented status and no answer that breaks
its documented schema."""

import subprocess
import sys
from pathlib import Path

import pytest

from accounts import services as accounts_services
from billing import services as billing_services
from generations.tests.conftest import finish

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


def test_the_docs_and_the_document_are_served(client):
    schema = client.get("/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/v1/video/generations",
        "/v1/video/generations/{generation_id}",
        "/v1/video/generations/{generation_id}/content",
        "/v1/models",
    ):
        assert path in paths
    create = paths["/v1/video/generations"]["post"]["responses"]
    assert {"200", "400", "401", "402", "415"} <= set(create)
    assert client.get("/v1/docs").status_code == 200


def test_a_fuzzer_finds_no_500_and_no_undocumented_answer(alice, start_server, settings, tmp_path):
    billing_services.credits_grant(user=alice, amount=10_000_000, reason="fuzzing")
    api_key, raw_key = accounts_services.api_key_create(user=alice, name="fuzz", rpm_limit=10**6)
    # A finished generation, so operations on ids (and the MP4 download) reach past the 404.
    settings.SIMULATOR_LATENCY = 0
    finish(alice, model="veo-3-fast", prompt="fuzz")
    # gunicorn answers over-long request lines (hypothesis writes some) with its own HTML page
    # before Django sees them; lift its limit so the fuzzer exercises our answers.
    base = start_server(GUNICORN_CMD_ARGS="--limit-request-line 0 --limit-request-field_size 0")
    st = Path(sys.executable).parent / "st"
    result = subprocess.run(
        [
            str(st),
            "run",
            f"{base}/v1/openapi.json",
            "-H",
            f"Authorization: Bearer {raw_key}",
            "--checks",
            CHECKS,
            "--max-examples",
            "25",
            "--max-time",
            "90",
            "--request-timeout",
            "20",
            "--seed",
            "20261125",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        cwd=tmp_path,  # schemathesis keeps a cache folder where it runs
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


@pytest.mark.browser
def test_the_interactive_docs_render_every_video_operation(start_server, page, screenshot):
    base = start_server()
    page.goto(f"{base}/v1/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    for path in (
        "/v1/video/generations",
        "/v1/video/generations/{generation_id}",
        "/v1/video/generations/{generation_id}/content",
        "/v1/models",
    ):
        assert any(p.replace("\u200b", "") == path for p in paths), paths
    screenshot("v1-docs")
