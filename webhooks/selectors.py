"""Reads for webhooks: an account's signing secrets and its deliveries."""

from django.db.models import F, Q
from django.utils import timezone

from webhooks.models import Delivery, SigningSecret


def signing_secret_current(*, user) -> SigningSecret | None:
    return SigningSecret.objects.filter(user=user, retired_at__isnull=True).first()


def signing_secrets_in_use(*, user, now=None):
    """The current secret first, then any rotated one still inside its overlap."""
    now = now or timezone.now()
    return (
        SigningSecret.objects.filter(user=user)
        .filter(Q(retired_at__isnull=True) | Q(expires_at__gt=now))
        .order_by(F("retired_at").asc(nulls_first=True), "-created_at")
    )


def signing_secrets_active(*, user, now=None) -> list[str]:
    return [s.secret for s in signing_secrets_in_use(user=user, now=now)]


def deliveries_for_user(*, user, generation_id=None):
    qs = (
        Delivery.objects.filter(event__user=user)
        .select_related("event", "event__generation")
        .prefetch_related("attempts")
        .order_by("-created_at", "-id")
    )
    if generation_id:
        qs = qs.filter(event__generation_id=generation_id)
    return qs


def delivery_for_user(*, user, pk):
    """The user's delivery, or None (someone else's answers like an unknown one)."""
    return Delivery.objects.filter(event__user=user, pk=pk).select_related("event").first()
