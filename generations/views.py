"""The signed media URLs (video_url, poster_url): no key needed while the signature is fresh."""

from django.http import Http404
from django.views.decorators.http import require_safe

from generations import storage
from generations.models import Generation

EXTENSIONS = {"mp4": "video", "jpg": "poster"}


@require_safe
def media(request, generation_id, extension):
    kind = EXTENSIONS[extension]
    if not storage.verify_signature(generation_id, kind, request.GET.get("s", "")):
        raise Http404("This link is invalid or has expired.")
    generation = Generation.objects.filter(pk=generation_id, status=Generation.SUCCEEDED).first()
    name = getattr(generation, kind).name if generation else ""
    if not name:
        raise Http404("No such file.")
    content_type = storage.KINDS[kind][1]
    return storage.ranged_response(
        request, name, content_type, filename=f"{generation_id}.{extension}"
    )
