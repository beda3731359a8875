"""Reads for the studio gallery: a user's generations as cards, with what the studio's webhook
receiver recorded about each and how its deliveries went."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from studio.models import ReceivedEvent

PAGE_SIZE = 12
STATUSES = ("queued", "running", "succeeded", "failed")
RANK = {"queued": 0, "running": 1, "succeeded": 2, "failed": 2}
# When a settled generation's webhook has not arrived after this long, the card believes the
# row instead (the receiver may have been down); until then the card waits for the webhook.
WEBHOOK_GRACE = timedelta(seconds=30)


def studio_receiver_url():
    return f"{settings.SITE_URL}/studio/webhooks/"


def generations_for_gallery(*, user, status=None, before=None, ids=None):
    from generations.models import Generation
    from webhooks.models import Event

    qs = (
        Generation.objects.filter(user=user)
        .select_related("model")
        .prefetch_related(
            Prefetch("studio_events", queryset=ReceivedEvent.objects.order_by("received_at")),
            Prefetch(
                "webhook_events",
                queryset=Event.objects.select_related("delivery").prefetch_related(
                    Prefetch("delivery__attempts")
                ),
            ),
        )
        .order_by("-created_at", "-id")
    )
    if status in STATUSES:
        qs = qs.filter(status=status)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if before:
        anchor = Generation.objects.filter(user=user, pk=before).first()
        if anchor:
            qs = qs.filter(created_at__lte=anchor.created_at).exclude(
                created_at=anchor.created_at, id__gte=anchor.id
            )
    return qs


def gallery_page(*, user, status=None, before=None, limit=PAGE_SIZE):
    """(cards, id to pass as `before` for the next page or None)."""
    rows = list(generations_for_gallery(user=user, status=status, before=before)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return [card(g) for g in rows], (rows[-1].id if more and rows else None)


def gallery_cards(*, user, ids):
    return [card(g) for g in generations_for_gallery(user=user, ids=ids)]


def gallery_counts(*, user):
    from django.db.models import Count

    from generations.models import Generation

    counts = dict(
        Generation.objects.filter(user=user)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {"all": sum(counts.values()), **{s: counts.get(s, 0) for s in STATUSES}}


def _delivery_summary(generation):
    deliveries = [e.delivery for e in generation.webhook_events.all() if hasattr(e, "delivery")]
    if not deliveries:
        return None
    attempts = sorted((a for d in deliveries for a in d.attempts.all()), key=lambda a: a.started_at)
    last = attempts[-1] if attempts else None
    failed = [d for d in deliveries if d.status == "failed"]
    pending = [d for d in deliveries if d.status == "pending"]
    latest = max(deliveries, key=lambda d: d.created_at)
    return {
        "events": len(deliveries),
        "status": "failed" if failed else "pending" if pending else "succeeded",
        "attempts": len(attempts),
        "last_status_code": last.status_code if last else None,
        "last_latency_ms": last.latency_ms if last else None,
        "last_error": last.error if last else "",
        "resend_id": (failed[0] if failed else latest).pk,
    }


def card(generation):
    """The gallery card for one generation (only ever built for its owner)."""
    from generations.objects import generation_to_dict

    obj = generation_to_dict(generation)
    received = list(generation.studio_events.all())
    heard = max((e.status for e in received), key=lambda s: RANK.get(s, -1), default=None)
    status, progress = obj["status"], obj["progress"]
    via_studio = generation.webhook_url.split("?", 1)[0] == studio_receiver_url()
    if status in ("succeeded", "failed") and via_studio and heard not in ("succeeded", "failed"):
        completed = generation.completed_at or timezone.now()
        if timezone.now() - completed < WEBHOOK_GRACE:
            # Settled, but the receiver has not heard yet: the card shows it as finishing.
            status, progress = "running", 99
    settled = status in ("succeeded", "failed")
    return {
        "id": generation.id,
        "model": obj["model"],
        "model_name": generation.model.display_name,
        "prompt": generation.prompt,
        "negative_prompt": generation.negative_prompt,
        "duration": generation.duration,
        "aspect_ratio": generation.aspect_ratio,
        "cost": generation.cost,
        "status": status,
        "progress": 100 if status == "succeeded" else progress,
        "created_at": obj["created_at"],
        "completed_at": obj["completed_at"] if settled else None,
        "video_url": obj["video_url"] if status == "succeeded" else None,
        "poster_url": obj["poster_url"] if status == "succeeded" else None,
        "error": obj["error"] if status == "failed" else None,
        "credits_returned": status == "failed",
        "simulated": obj.get("simulated", False),
        "webhook": {
            "heard": heard,
            "events": [{"type": e.type, "at": int(e.received_at.timestamp())} for e in received],
            "delivery": _delivery_summary(generation),
        },
    }
