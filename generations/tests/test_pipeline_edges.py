"""The pipeline's edges: webhook events on each transition, image inputs fetched through the
address filter, and a bad image failing the generation with its credits returned."""

import base64
import http.server
import threading

import pytest

from billing.selectors import balance_get
from generations import services
from generations.models import Generation
from webhooks.models import Event

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def instant(settings):
    settings.SIMULATOR_LATENCY = 0
    settings.SIMULATOR_FAILURE_RATE = 0
    settings.VIDEO_PROVIDER = "simulator"
    settings.OUTBOUND_ALLOW_LOOPBACK = True
    return settings


@pytest.fixture
def image_server():
    """A loopback server: /ok.png is a PNG, /missing.png is a 404, /page is HTML."""

    class Handler(http.server.BaseHTTPRequestHandler):
        requests = []

        def do_GET(self):
            Handler.requests.append(self.path)
            if self.path == "/ok.png":
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)
            elif self.path == "/page":
                body = b"<html></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Handler.requests
    server.shutdown()


def run(generation_id):
    services.generation_start(generation_id=generation_id)
    services.generation_poll(generation_id=generation_id)
    return Generation.objects.get(pk=generation_id)


@pytest.mark.sqlite
def test_each_transition_emits_its_webhook_event_once(
    funded, instant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=funded,
            model="veo-3",
            prompt="hooked",
            duration=4,
            webhook_url="https://example.com/hook",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.generation_start(generation_id=generation.id)
    with django_capture_on_commit_callbacks(execute=True):
        services.generation_poll(generation_id=generation.id)
        services.generation_poll(generation_id=generation.id)  # a duplicate emits nothing more
    types = sorted(Event.objects.filter(generation_id=generation.id).values_list("type", flat=True))
    assert types == ["video.generation.running", "video.generation.succeeded"]


@pytest.mark.sqlite
def test_a_generation_without_webhook_url_emits_nothing(
    funded, instant, django_capture_on_commit_callbacks
):
    generation = services.generation_create(user=funded, model="veo-3", prompt="quiet", duration=4)
    with django_capture_on_commit_callbacks(execute=True):
        run(generation.id)
    assert not Event.objects.exists()


def test_an_image_url_is_fetched_through_the_filter(funded, instant, image_server):
    base, requests = image_server
    generation = services.generation_create(
        user=funded, model="veo-3", prompt="from image", duration=4, image=f"{base}/ok.png"
    )
    assert run(generation.id).status == "succeeded"
    assert requests == ["/ok.png"]


@pytest.mark.parametrize("path", ["/missing.png", "/page"])
def test_an_image_url_that_is_not_an_image_fails_and_returns_the_credits(
    funded, instant, image_server, path
):
    base, _ = image_server
    generation = services.generation_create(
        user=funded, model="veo-3", prompt="bad image", duration=4, image=base + path
    )
    generation = run(generation.id)
    assert generation.status == "failed" and generation.error_code == "invalid_image"
    assert balance_get(user=funded).available == 1000


def test_a_loopback_image_is_refused_at_once_unless_allowed(funded, instant, image_server):
    from veoportal.errors import ApiError

    base, requests = image_server
    instant.OUTBOUND_ALLOW_LOOPBACK = False
    with pytest.raises(ApiError) as refused:
        services.generation_create(
            user=funded, model="veo-3", prompt="ssrf", duration=4, image=f"{base}/ok.png"
        )
    assert (refused.value.status, refused.value.code) == (400, "invalid_image")
    assert not Generation.objects.exists()


def test_an_image_url_that_turns_private_later_is_refused_by_the_worker(
    funded, instant, image_server
):
    base, requests = image_server
    generation = services.generation_create(
        user=funded, model="veo-3", prompt="rebinding", duration=4, image=f"{base}/ok.png"
    )
    instant.OUTBOUND_ALLOW_LOOPBACK = False  # as if the name now resolved to a private address
    generation = run(generation.id)
    assert generation.status == "failed" and generation.error_code == "invalid_image"
    assert requests == []  # never contacted
    assert balance_get(user=funded).available == 1000


@pytest.mark.sqlite
def test_a_data_url_image_reaches_the_provider_request(funded, instant):
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    generation = services.generation_create(
        user=funded, model="veo-3", prompt="inline", duration=4, image=data_url
    )
    image, mime_type = services._load_image(generation)
    assert (image, mime_type) == (PNG, "image/png")
