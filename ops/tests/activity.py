"""A few weeks of believable activity (top-ups, generations, holds) for the dashboard's tests."""

import random
from datetime import timedelta

from django.utils import timezone

from billing import services as billing
from billing.models import TopUp, TopUpStatus
from generations.catalog import DEFAULT_MODELS
from generations.models import Generation, VideoModel


def seed_activity(*, users, days=14, seed=7):
    """Returns what was written, so tests can compare the dashboard's figures with it."""
    rng = random.Random(seed)
    now = timezone.now()
    # Only the seeded catalogue: whatever other tests added must not change the figures.
    models = list(
        VideoModel.objects.filter(slug__in=[row["slug"] for row in DEFAULT_MODELS]).order_by(
            "sort_order", "slug"
        )
    )
    written = {"revenue_cents": 0, "credits_sold": 0, "generations": {}, "failed_by_model": {}}
    for user in users:
        # Enough to pay for every generation below; grants are not sales, so no figure moves.
        billing.credits_grant(user=user, amount=20_000, reason="test credits")
        for cents in (2000, 5000):
            paid_at = now - timedelta(days=rng.randrange(days), hours=rng.randrange(6))
            top_up = TopUp.objects.create(
                user=user,
                provider="sandbox",
                amount_cents=cents,
                credits=cents,
                status=TopUpStatus.PAID,
                paid_at=paid_at,
                created_at=paid_at,
            )
            entry = billing.credits_top_up(
                user=user, amount=cents, reference=f"topup:{top_up.id}", description="Top-up"
            )
            entry.__class__.objects.filter(pk=entry.pk).update(created_at=paid_at)
            written["revenue_cents"] += cents
            written["credits_sold"] += cents
    for i in range(60):
        user = users[i % len(users)]
        model = models[i % len(models)]
        created = now - timedelta(days=rng.randrange(days), minutes=rng.randrange(600))
        status = rng.choices(["succeeded", "failed", "running", "queued"], [14, 3, 1, 1])[0]
        if created.date() == now.date() and status in ("succeeded", "failed"):
            created = now - timedelta(minutes=rng.randrange(1, 30))
        duration = model.durations[0]
        generation = Generation.objects.create(
            user=user,
            model=model,
            prompt=f"A test scene number {i}",
            duration=duration,
            upstream_duration=model.upstream_duration_for(duration),
            aspect_ratio="16:9",
            status=status,
            cost=model.price_for(duration),
            created_at=created,
            upstream_latency_ms=rng.randrange(30_000, 120_000)
            if status in ("succeeded", "failed")
            else None,
        )
        billing.hold_place(user=user, amount=generation.cost, reference=generation.id)
        if status == "succeeded":
            billing.hold_capture(reference=generation.id)
        elif status == "failed":
            billing.hold_release(reference=generation.id)
            written["failed_by_model"][model.slug] = (
                written["failed_by_model"].get(model.slug, 0) + 1
            )
        written["generations"][status] = written["generations"].get(status, 0) + 1
    return written
