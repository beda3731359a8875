"""The public contract, verbatim: the Python quickstart and the cURL example from
veo-api-reference.txt run against a real server and worker, with only the base URL and the key
changed, and what they print opens without a key as the MP4 that was asked for."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from generations import mp4

REFERENCE = Path(__file__).parent / "data" / "veo-api-reference.txt"
SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "veo-api-reference.txt"
DOC_BASE = "https://api.veoapi.io/v1"
DOC_KEY = "sk-veo-your-key"


def reference_text():
    # Our vendored copy must stay the contract: when the shared original is beside the clone,
    # they must agree.
    text = REFERENCE.read_text()
    if SHARED_REFERENCE.exists():
        assert SHARED_REFERENCE.read_text() == text, "tests/data copy differs from shared/"
    return text


def python_quickstart(text):
    match = re.search(r"\nPython\n\n(?P<code>import time, requests\n.*?)\n\ncURL\n", text, re.S)
    return match["code"]


def curl_example(text):
    match = re.search(r"\ncURL\n\n(?P<cmd>curl .*?)\n\n", text, re.S)
    return match["cmd"]


def personalised(code, base, key):
    assert DOC_BASE in code and DOC_KEY in code
    return code.replace(DOC_BASE, f"{base}/v1").replace(DOC_KEY, key)


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def assert_clip(url, *, seconds, size):
    response = httpx.get(url, timeout=30)  # no key: the signed URL is enough
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "video/mp4"
    info = mp4.probe(response.content)
    assert info.codec == "h264"
    assert abs(info.duration - seconds) <= 1 / 24 + 1e-6, info
    assert (info.width, info.height) == size
    # Browsers seek with Range.
    part = httpx.get(url, headers={"Range": "bytes=0-99"}, timeout=30)
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-99/{len(response.content)}"
    assert part.content == response.content[:100]


@pytest.fixture
def live(start_server, start_worker, process_env):
    from generations.catalog import video_models_seed
    from generations.models import VideoModel

    video_models_seed(VideoModel)  # a transactional test before us flushed the migration's rows
    overrides = {"SIMULATOR_LATENCY": "1", "VIDEO_PROVIDER": "simulator"}
    start_worker(**overrides)
    base = start_server(**overrides)
    env = {**process_env, **overrides}
    key = manage(env, "create_api_key", "quickstart@example.com", "--create-user")
    manage(env, "grant_credits", "quickstart@example.com", "1000", "--reason", "contract test")
    return base, key


@pytest.mark.sqlite
def test_the_python_quickstart_runs_verbatim_and_prints_a_playable_url(live):
    base, key = live
    code = personalised(python_quickstart(reference_text()), base, key)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    video_url = result.stdout.strip().splitlines()[-1]
    assert video_url.startswith(base)
    assert_clip(video_url, seconds=5, size=(1280, 720))


@pytest.mark.sqlite
def test_the_curl_example_runs_verbatim(live):
    base, key = live
    command = personalised(curl_example(reference_text()), base, key)
    result = subprocess.run(
        ["bash", "-c", command + " --silent --show-error"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    task = json.loads(result.stdout)
    assert task["status"] == "queued" and task["id"].startswith("gen_")
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        res = httpx.get(f"{base}/v1/video/generations/{task['id']}", headers=headers).json()
        if res["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.5)
    assert res["status"] == "succeeded", res
    assert res["cost"] == 200
    assert_clip(res["video_url"], seconds=5, size=(1280, 720))
