"""The studio in Chromium against a real server and a real worker: sign in, submit a 4 s clip,
watch its card go queued → running → succeeded without a reload (the completion arrives through
the studio's signed webhook receiver), play it, download it."""

import struct
import time
import zlib

import pytest
from django.utils import timezone

from billing.services import credits_grant
from generations.models import Generation
from studio.models import ReceivedEvent
from webhooks.models import Delivery

pytestmark = [pytest.mark.browser, pytest.mark.sqlite]

PASSWORD = "correct horse battery staple"

WATCH_STATUSES = """
() => {
  window.__noReload = true;
  window.__statuses = [];
  const grid = document.getElementById("grid");
  const note = () => {
    const first = grid.querySelector(".st-card");
    const s = first && first.dataset.status;
    if (s && window.__statuses[window.__statuses.length - 1] !== s) window.__statuses.push(s);
  };
  new MutationObserver(note).observe(grid, {childList: true, subtree: true, attributes: true});
}
"""


def tiny_png(width=64, height=36):
    """A real PNG (a horizontal gradient) for the image-to-video upload."""
    rows = b"".join(
        b"\0" + bytes((x * 4) % 256 for x in range(width) for _ in range(3)) for _ in range(height)
    )

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def sign_in(page, base, email):
    page.goto(base + "/studio/")
    page.wait_for_url("**/accounts/login/**")  # anonymous visitors are sent to sign in
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url("**/studio/")


def wait_for(predicate, timeout=60, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise TimeoutError


def test_a_clip_goes_from_prompt_to_playing_video_without_a_reload(
    alice, start_server, start_worker, page, screenshot, processes, tmp_path, make_generation
):
    credits_grant(user=alice, amount=2000, reason="browser test", reference="studio-browser")
    base = start_server(SIMULATOR_LATENCY="3")
    start_worker(SIMULATOR_LATENCY="3", SITE_URL=base)

    sign_in(page, base, alice.email)
    page.wait_for_selector("#model:not([disabled])")
    assert page.locator("#empty").is_visible()
    assert "Your gallery is empty" in page.locator("#empty").inner_text()
    page.wait_for_function("document.getElementById('balance').textContent.includes('2,000')")
    screenshot("studio-1-empty")

    page.select_option("#model", "veo-3")
    page.select_option("#duration", "4")
    page.select_option("#aspect_ratio", "16:9")
    page.fill("#prompt", "a lighthouse on a cliff in a storm, waves crashing")
    price = page.evaluate("fetch('/v1/models').then(r => r.json())")
    per_second = next(m for m in price["data"] if m["id"] == "veo-3")["price_per_second"]
    assert page.locator("#cost").inner_text() == f"{4 * per_second:,} credits"

    page.evaluate(WATCH_STATUSES)
    page.click("#submit")
    card = page.locator(".st-card").first
    card.wait_for()
    page.wait_for_selector(".st-card[data-status=running] .st-progress", timeout=30_000)
    screenshot("studio-2-busy")
    page.wait_for_selector(".st-card[data-status=succeeded] video", timeout=60_000)

    assert page.evaluate("window.__noReload") is True
    statuses = page.evaluate("window.__statuses")
    assert statuses[0] == "queued", statuses
    assert statuses[-1] == "succeeded", statuses
    assert "running" in statuses, statuses
    assert statuses.index("queued") < statuses.index("running") < statuses.index("succeeded")

    # The completion came through the signed webhook the studio receiver verified.
    generation = Generation.objects.get(user=alice)
    assert generation.status == "succeeded"
    heard = set(ReceivedEvent.objects.filter(generation=generation).values_list("type", flat=True))
    assert heard == {"video.generation.running", "video.generation.succeeded"}
    assert set(
        Delivery.objects.filter(event__generation=generation).values_list("status", flat=True)
    ) == {"succeeded"}
    page.wait_for_selector(".st-card[data-status=succeeded] .st-wh-link.succeeded")

    # It plays, at the asked length.
    video = page.locator(".st-card[data-status=succeeded] video").first
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "document.querySelector('.st-card[data-status=succeeded] video').readyState >= 2",
        timeout=20_000,
    )
    duration = video.evaluate("v => v.duration")
    assert abs(duration - 4) <= 0.1, duration
    assert video.evaluate("v => v.currentTime > 0 || !v.paused")

    # The download button hands over the MP4.
    with page.expect_download() as info:
        page.locator(".st-card[data-status=succeeded] [data-testid=download]").first.click()
    saved = tmp_path / "clip.mp4"
    info.value.save_as(saved)
    data = saved.read_bytes()
    assert data[4:8] == b"ftyp" and len(data) > 10_000
    assert info.value.suggested_filename == f"{generation.id}.mp4"

    # Fill the gallery: two more clips through the page, and one that failed earlier.
    make_generation(
        alice,
        status="failed",
        prompt="a timelapse of a glacier calving into the sea",
        error_code="content_filtered",
        error_message="The clip was blocked by the safety filter.",
        completed_at=timezone.now(),
        created_at=timezone.now() - timezone.timedelta(minutes=20),
    )
    still = tmp_path / "still.png"
    still.write_bytes(tiny_png())
    for prompt, ratio in (
        ("a paper boat drifting down a rainy street, neon reflections", "9:16"),
        ("ocean waves at golden hour, slow motion", "16:9"),
    ):
        page.fill("#prompt", prompt)
        page.select_option("#aspect_ratio", ratio)
        if ratio == "9:16":  # image-to-video: the file goes up as a data: URL
            page.click("#more summary")
            page.set_input_files("#image_file", str(still))
            page.wait_for_selector("#image-preview:not([hidden])")
            page.fill("#negative_prompt", "blurry, text")
        page.click("#submit")
        page.wait_for_function("document.getElementById('prompt').value === ''", timeout=20_000)
    wait_for(lambda: page.locator(".st-card[data-status=succeeded]").count() == 3, timeout=90)
    boat = Generation.objects.get(prompt__startswith="a paper boat")
    assert boat.image and boat.image_mime_type == "image/png"
    assert boat.image.open("rb").read() == still.read_bytes()
    assert boat.negative_prompt == "blurry, text"
    page.reload()
    page.wait_for_selector(".st-card[data-status=failed]")
    assert "credits returned" in page.locator(".st-card[data-status=failed]").inner_text()
    page.wait_for_selector("#model:not([disabled])")
    screenshot("studio-3-full")

    # The deliveries beside each generation, on the webhooks page.
    page.click("nav >> text=Webhooks")
    page.wait_for_url("**/webhooks/")
    assert page.locator("tr[data-delivery-id]").count() == 6  # running + succeeded, three clips
    page.click("[data-reveal]")
    assert page.locator("[data-testid=signing-secret]").inner_text().startswith("whsec_")
    page.click("[data-reveal]")
    screenshot("webhooks-1-deliveries")
    page.locator("tr[data-delivery-id] >> text=Details").first.click()
    page.wait_for_selector("text=Attempts")
    screenshot("webhooks-2-delivery")


def test_not_enough_credits_shows_inline_with_a_top_up_link(bob, start_server, page, screenshot):
    base = start_server()
    sign_in(page, base, bob.email)
    page.wait_for_selector("#model:not([disabled])")
    page.click("#submit")
    assert "Write a prompt first" in page.locator("#form-error").inner_text()
    page.fill("#prompt", "a cat astronaut floating past the moon")
    page.click("#submit")
    error = page.locator("#form-error")
    page.wait_for_function("document.getElementById('form-error').textContent.includes('credits')")
    assert "enough credits" in error.inner_text()
    assert error.locator("a[href='/billing/']").is_visible()
    assert page.locator(".st-card").count() == 0
    assert not Generation.objects.filter(user=bob).exists()
    screenshot("studio-4-no-credits")


def test_the_gallery_pages_and_filters_in_place(
    alice, start_server, page, screenshot, make_generation
):
    now = timezone.now()
    for i in range(14):
        make_generation(
            alice,
            status="failed",
            prompt=f"an old clip number {i}",
            error_code="upstream_error",
            error_message="Upstream was unavailable.",
            created_at=now - timezone.timedelta(minutes=i + 1),
            completed_at=now - timezone.timedelta(minutes=i),
        )
    base = start_server()
    sign_in(page, base, alice.email)
    page.evaluate("window.__noReload = true")
    assert page.locator(".st-card").count() == 12
    assert page.locator(".st-card .st-prompt").first.inner_text() == "an old clip number 0"
    page.click("#load-more")
    page.wait_for_function("document.querySelectorAll('.st-card').length === 14")
    assert page.locator("#load-more").is_hidden()
    assert page.locator(".st-card .st-prompt").last.inner_text() == "an old clip number 13"

    page.click(".st-filter[data-status=succeeded]")
    page.wait_for_selector("#empty:not([hidden])")
    assert "No ready videos" in page.locator("#empty").inner_text()
    assert "status=succeeded" in page.url
    screenshot("studio-5-filter-empty")
    page.click(".st-filter[data-status=failed]")
    page.wait_for_function("document.querySelectorAll('.st-card').length === 12")
    assert page.locator(".st-filter.active").inner_text().startswith("Failed")
    assert page.locator(".st-filter[data-status=failed] [data-count]").inner_text() == "14"
    assert page.evaluate("window.__noReload") is True
