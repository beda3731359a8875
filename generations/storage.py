"""Where videos and posters live (Django's default storage) and how they are handed out: signed,
expiring URLs served by our own view with HTTP Range, or the storage's presigned URLs on S3."""

import re

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import StreamingHttpResponse
from django.urls import reverse

from veoportal.errors import error_response

SIGNER_SALT = "generations.media"
CHUNK = 64 * 1024
KINDS = {"video": ("mp4", "video/mp4"), "poster": ("jpg", "image/jpeg")}


def media_name(generation_id, kind):
    folder = "videos" if kind == "video" else "posters"
    return f"{folder}/{generation_id}.{KINDS[kind][0]}"


def media_save(generation_id, kind, content: bytes) -> str:
    """Store under a fixed name, replacing an earlier attempt's file, and answer the name."""
    name = media_name(generation_id, kind)
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))


def media_delete(name):
    if name and default_storage.exists(name):
        default_storage.delete(name)


def _serves_itself():
    # Local files are served by our view; object storage presigns its own expiring URLs.
    return isinstance(default_storage, FileSystemStorage)


def signed_url(generation_id, kind, name):
    """An absolute URL that works without a key until VIDEO_URL_TTL passes."""
    if not name:
        return None
    if not _serves_itself():
        return default_storage.url(name)
    token = signing.TimestampSigner(salt=SIGNER_SALT).sign(f"{generation_id}.{kind}")
    signature = token.split(":", 1)[1]
    path = reverse("generations:media", args=[generation_id, KINDS[kind][0]])
    return f"{settings.SITE_URL}{path}?s={signature}"


def verify_signature(generation_id, kind, signature):
    """True when `signature` is ours for this file and younger than VIDEO_URL_TTL."""
    signer = signing.TimestampSigner(salt=SIGNER_SALT)
    try:
        signer.unsign(f"{generation_id}.{kind}:{signature}", max_age=settings.VIDEO_URL_TTL)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return False
    return True


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header, size):
    """(start, end) inclusive for one satisfiable range, None for no/ignorable header, or
    "unsatisfiable". Several ranges are answered with the whole file, which HTTP allows."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0:
            return "unsatisfiable"
        return max(size - length, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, min(end, size - 1)


def ranged_response(request, name, content_type, *, filename=None):
    """Serve a stored file with Accept-Ranges, 206 partial answers and 416 for bad ranges."""
    size = default_storage.size(name)
    wanted = parse_range(request.headers.get("Range"), size)
    if wanted == "unsatisfiable":
        return error_response(
            f"The Range header asks for bytes beyond the file's {size}.",
            status=416,
            code="range_not_satisfiable",
            param="Range",
            headers={"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"},
        )
    start, end = wanted if wanted else (0, size - 1)
    length = end - start + 1 if size else 0

    def chunks():
        with default_storage.open(name, "rb") as handle:
            handle.seek(start)
            remaining = length
            while remaining > 0:
                data = handle.read(min(CHUNK, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data

    response = StreamingHttpResponse(
        chunks() if request.method != "HEAD" else iter(()),
        status=206 if wanted else 200,
        content_type=content_type,
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    if filename:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def input_save(generation_id, extension, content: bytes) -> str:
    """An image-to-video input decoded from a data: URL."""
    return default_storage.save(f"inputs/{generation_id}.{extension}", ContentFile(content))
