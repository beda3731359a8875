"""Checking a generation request before anything is written: model, prompt, duration, aspect
ratio, image (http(s) or data: URL) and webhook URL. Every refusal is a 400 in the error shape."""

import base64
import binascii
import hashlib
import ipaddress
import json
import re
from urllib.parse import urlsplit

from django.conf import settings

from generations.models import VideoModel
from veoportal.errors import ApiError

PROMPT_MAX = 2000
IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
DATA_URL = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)(?P<params>(;[^;,]*)*),(?P<data>.*)$", re.S
)


def invalid(message, *, param, code="invalid_parameter"):
    return ApiError(message, code=code, param=param, status=400)


def _image_kind(data: bytes):
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def decode_data_url(value):
    """(bytes, mime type) of a base64 data: URL of a PNG, JPEG or WebP of at most 10 MB."""
    match = DATA_URL.match(value)
    if not match or ";base64" not in match["params"]:
        raise invalid(
            "'image' data: URLs must be base64 encoded.", param="image", code="invalid_image"
        )
    declared = match["type"].lower()
    if declared not in IMAGE_TYPES:
        raise invalid(
            "'image' must be a PNG, JPEG or WebP image.", param="image", code="invalid_image"
        )
    if len(match["data"]) > IMAGE_MAX_BYTES * 4 // 3 + 4:
        raise invalid("'image' is larger than 10 MB.", param="image", code="image_too_large")
    try:
        data = base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError):
        raise invalid("'image' is not valid base64.", param="image", code="invalid_image") from None
    if len(data) > IMAGE_MAX_BYTES:
        raise invalid("'image' is larger than 10 MB.", param="image", code="image_too_large")
    if _image_kind(data) != declared:
        raise invalid(
            f"'image' does not hold the {declared} image it declares.",
            param="image",
            code="invalid_image",
        )
    return data, declared


def _check_image_url(value):
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(
            "'image' must be an http(s) URL or a data: URL.", param="image", code="invalid_image"
        )
    if len(value) > 2048:
        raise invalid(
            "'image' URLs are at most 2048 characters.", param="image", code="invalid_image"
        )
    _refuse_unsafe_address(value, param="image", code="invalid_image")


def _refuse_unsafe_address(url, *, param, code="invalid_parameter"):
    """Refuse private, loopback, link-local and metadata addresses now rather than in the worker
    (which checks again on every hop). A name that does not resolve right now is let through:
    that may be passing, and the worker's fetch decides."""
    from veoportal import netguard

    try:
        netguard.check_url(url)
    except netguard.UnresolvableHost:
        pass
    except netguard.UnsafeURL as exc:
        raise invalid(f"'{param}' is not allowed: {exc}", param=param, code=code) from None


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(value):
    """https anywhere; plain http only to the site's own studio receiver, or to loopback when
    OUTBOUND_ALLOW_LOOPBACK is on (local development and tests). Addresses are checked again,
    hop by hop, when the webhook is delivered."""
    from webhooks.services import is_studio_receiver

    parts = urlsplit(value)
    if len(value) > 2000 or not parts.hostname or parts.scheme not in ("http", "https"):
        raise invalid("'webhook_url' must be an https URL.", param="webhook_url")
    if parts.username or parts.password:
        raise invalid("'webhook_url' may not carry credentials.", param="webhook_url")
    if is_studio_receiver(value):
        return
    if parts.scheme == "http" and not (
        settings.OUTBOUND_ALLOW_LOOPBACK and _is_loopback(parts.hostname)
    ):
        raise invalid("'webhook_url' must use https.", param="webhook_url")
    _refuse_unsafe_address(value, param="webhook_url")


def body_hash(fields):
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def check_text(value, *, param):
    """Text we store must be storable: no NUL characters (PostgreSQL refuses them) and no lone
    surrogates (JSON allows escaping them; UTF-8 cannot encode them)."""
    if value is None:
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(f"'{param}' is not valid Unicode text.", param=param) from None
    if "\x00" in value:
        raise invalid(f"'{param}' may not contain NUL characters.", param=param)


def request_validate(*, model, prompt, duration, aspect_ratio, image, negative_prompt, webhook_url):
    video_model = VideoModel.objects.filter(slug=model, is_active=True).first()
    if video_model is None:
        known = ", ".join(VideoModel.objects.filter(is_active=True).values_list("slug", flat=True))
        raise invalid(
            f"The model '{model}' does not exist. Available models: {known}.",
            param="model",
            code="model_not_found",
        )
    if not prompt.strip():
        raise invalid("'prompt' must not be empty.", param="prompt")
    if len(prompt) > PROMPT_MAX:
        raise invalid(f"'prompt' is longer than {PROMPT_MAX} characters.", param="prompt")
    if negative_prompt is not None and len(negative_prompt) > PROMPT_MAX:
        raise invalid(
            f"'negative_prompt' is longer than {PROMPT_MAX} characters.", param="negative_prompt"
        )
    if duration is None:
        duration = min(video_model.durations)
    upstream_duration = video_model.upstream_duration_for(duration)
    if duration not in video_model.durations or upstream_duration is None:
        accepted = ", ".join(str(d) for d in video_model.durations)
        raise invalid(
            f"{video_model.slug} makes clips of {accepted} seconds, not {duration}.",
            param="duration",
            code="invalid_duration",
        )
    aspect_ratio = aspect_ratio or "16:9"
    if aspect_ratio not in video_model.aspect_ratios:
        accepted = ", ".join(video_model.aspect_ratios)
        raise invalid(
            f"'aspect_ratio' must be one of {accepted}.",
            param="aspect_ratio",
            code="invalid_aspect_ratio",
        )
    image_data = image_type = None
    if image:
        if image.startswith("data:"):
            image_data, image_type = decode_data_url(image)
        else:
            _check_image_url(image)
    elif image is not None:
        raise invalid("'image' must not be empty.", param="image", code="invalid_image")
    if webhook_url:
        check_webhook_url(webhook_url)
    return video_model, duration, upstream_duration, aspect_ratio, image_data, image_type
