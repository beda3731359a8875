"""Reads of generations and models, always scoped to their owner."""

import re

from django.db.models import Q

from generations.models import Generation, VideoModel
from veoportal.errors import ApiError, NotFound

MAX_PAGE = 100
# Anything else cannot be one of our ids: answer without asking the database (which refuses
# some strings, such as ones holding NUL).
GENERATION_ID = re.compile(r"^gen_[A-Za-z0-9]{1,36}$")


def video_models_active():
    return VideoModel.objects.filter(is_active=True)


def generation_get(*, user, generation_id) -> Generation:
    """The caller's generation; another user's id is exactly as unknown as a made-up one."""
    generation = None
    if GENERATION_ID.match(generation_id):
        generation = (
            Generation.objects.select_related("model").filter(id=generation_id, user=user).first()
        )
    if generation is None:
        raise NotFound(
            f"No generation with id '{generation_id}'.", code="generation_not_found", param="id"
        )
    return generation


def generation_list(*, user, after=None, limit=20, status=None):
    """(generations, has_more), newest first, after the cursor `after` (an id from a page)."""
    queryset = Generation.objects.select_related("model").filter(user=user)
    if status:
        queryset = queryset.filter(status=status)
    if after:
        cursor = None
        if GENERATION_ID.match(after):
            cursor = (
                Generation.objects.filter(id=after, user=user).values("created_at", "id").first()
            )
        if cursor is None:
            raise ApiError(
                f"'after' must be the id of one of your generations; '{after}' is not.",
                code="invalid_cursor",
                param="after",
            )
        queryset = queryset.filter(
            Q(created_at__lt=cursor["created_at"])
            | Q(created_at=cursor["created_at"], id__lt=cursor["id"])
        )
    rows = list(queryset.order_by("-created_at", "-id")[: limit + 1])
    return rows[:limit], len(rows) > limit
