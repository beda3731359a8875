"""Signed outbound webhooks: signing secrets and their rotation, events about generations, and
delivering them (one attempt at a time, retried on a schedule, every attempt logged)."""

import base64
import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from secrets import token_bytes

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks import Webhook

from veoportal import netguard
from webhooks import selectors
from webhooks.models import Delivery, DeliveryAttempt, Event, SigningSecret, new_event_id

logger = logging.getLogger(__name__)

EVENT_TYPES = ("video.generation.running", "video.generation.succeeded", "video.generation.failed")
USER_AGENT = "veoportal-webhooks/1 (+Standard Webhooks)"


def new_secret():
    return "whsec_" + base64.b64encode(token_bytes(32)).decode()


def signing_secret_ensure(*, user) -> SigningSecret:
    """The account's current secret, created on first need."""
    current = selectors.signing_secret_current(user=user)
    if current:
        return current
    try:
        with transaction.atomic():
            return SigningSecret.objects.create(user=user, secret=new_secret())
    except IntegrityError:  # another request created it first
        return selectors.signing_secret_current(user=user)


def signing_secret_rotate(*, user, overlap_seconds: int | None = None) -> SigningSecret:
    """A new current secret. The old one keeps signing beside it for the overlap (24 h by
    default), so receivers can switch without losing a delivery; earlier ones stop now."""
    overlap = settings.WEBHOOK_SECRET_OVERLAP if overlap_seconds is None else overlap_seconds
    now = timezone.now()
    with transaction.atomic():
        old = list(
            SigningSecret.objects.select_for_update().filter(user=user, retired_at__isnull=True)
        )
        # Only the secret being replaced overlaps; anything older stops signing at once.
        SigningSecret.objects.filter(user=user, expires_at__gt=now).update(expires_at=now)
        for secret in old:
            secret.retired_at = now
            secret.expires_at = now + timedelta(seconds=overlap)
            secret.save(update_fields=["retired_at", "expires_at"])
        return SigningSecret.objects.create(user=user, secret=new_secret(), created_at=now)


def signature_headers(*, msg_id: str, body: str, secrets: list[str], now=None) -> dict:
    """Standard Webhooks headers for `body`, one `v1,` signature per secret."""
    moment = now or datetime.now(tz=UTC)
    signatures = [Webhook(secret).sign(msg_id, moment, body) for secret in secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def event_emit(*, generation, type: str) -> Event | None:
    """Record that `generation` reached a state and send it to its webhook_url (after the
    current transaction commits). Once per generation and type; None without a webhook_url."""
    from generations.objects import generation_to_dict  # generations imports us; avoid a cycle

    if not generation.webhook_url:
        return None
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    existing = Event.objects.filter(generation=generation, type=type).first()
    if existing:
        return existing
    now = timezone.now()
    event_id = new_event_id()
    payload = {
        "id": event_id,
        "object": "event",
        "type": type,
        "created_at": int(now.timestamp()),
        "data": generation_to_dict(generation),
    }
    body = json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))
    try:
        with transaction.atomic():
            event = Event.objects.create(
                id=event_id,
                user_id=generation.user_id,
                generation=generation,
                type=type,
                body=body,
                created_at=now,
            )
            delivery = Delivery.objects.create(event=event, url=generation.webhook_url)
    except IntegrityError:  # emitted concurrently by a retried task
        return Event.objects.get(generation=generation, type=type)
    _enqueue(delivery.pk, countdown=0)
    return event


def delivery_task_options():
    """Where delivery tasks go: the default queue unless WEBHOOK_QUEUE names one."""
    return {"queue": settings.WEBHOOK_QUEUE} if settings.WEBHOOK_QUEUE else {}


def _enqueue(delivery_id, *, countdown):
    from webhooks.tasks import deliver

    transaction.on_commit(
        lambda: deliver.apply_async((delivery_id,), countdown=countdown, **delivery_task_options())
    )


def is_studio_receiver(url: str) -> bool:
    """The site's own studio receiver is always reachable, even on a private address."""
    return url.split("?", 1)[0] == f"{settings.SITE_URL}/studio/webhooks/"


@dataclass(frozen=True)
class Sent:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""
    permanent: bool = False  # retrying cannot help (a refused address)


def _send(delivery, event) -> Sent:
    """POST the event once, signed with every secret in use; never raises for the network."""
    signing_secret_ensure(user=event.user)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **signature_headers(
            msg_id=event.id,
            body=event.body,
            secrets=selectors.signing_secrets_active(user=event.user),
        ),
    }
    try:
        response = netguard.safe_post(
            delivery.url,
            content=event.body.encode(),
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT,
            allow_private=True if is_studio_receiver(delivery.url) else None,
        )
    except netguard.UnresolvableHost as exc:
        return Sent(error=str(exc))
    except netguard.UnsafeURL as exc:
        return Sent(error=f"Refused: {exc}", permanent=True)
    except httpx.TimeoutException:
        return Sent(error=f"No answer within {settings.WEBHOOK_TIMEOUT:g} s.")
    except httpx.HTTPError as exc:
        return Sent(error=f"Connection failed: {type(exc).__name__}: {exc}")
    code = response.status_code
    return Sent(
        status_code=code,
        excerpt=response.content[:500].decode("utf-8", "replace"),
        error="" if 200 <= code < 300 else f"The receiver answered HTTP {code}.",
    )


@dataclass(frozen=True)
class AttemptResult:
    attempt: DeliveryAttempt | None
    retry_in: float | None = None  # seconds until the next attempt; None when finished


def delivery_attempt(*, delivery_id: int) -> AttemptResult:
    """Make the delivery's next attempt if it is due and nobody else is making it."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT * 3 + 30)
    # Claiming the attempt by pushing next_attempt_at ahead makes a duplicate task a no-op.
    # The second of grace lets a countdown that fires a hair early still count.
    # The claim also takes the attempt's number, so even racing workers never share one.
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.PENDING, next_attempt_at__lte=now + timedelta(seconds=1)
    ).update(next_attempt_at=lease, attempt_count=F("attempt_count") + 1)
    if not claimed:
        return AttemptResult(None)
    delivery = Delivery.objects.select_related("event", "event__user").get(pk=delivery_id)
    event = delivery.event
    number = delivery.attempt_count
    started_at = timezone.now()
    started = time.monotonic()
    sent = _send(delivery, event)
    latency_ms = int((time.monotonic() - started) * 1000)
    status_code, error = sent.status_code, sent.error
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery,
        number=number,
        started_at=started_at,
        status_code=status_code,
        latency_ms=latency_ms,
        error=error[:300],
        response_excerpt=sent.excerpt,
    )
    tries_this_round = number - delivery.round_start
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    finished_at = timezone.now()
    if attempt.ok:
        fields = dict(status=Delivery.SUCCEEDED, completed_at=finished_at, next_attempt_at=None)
        retry_in = None
    elif sent.permanent or tries_this_round >= len(schedule):
        fields = dict(status=Delivery.FAILED, completed_at=finished_at, next_attempt_at=None)
        retry_in = None
    else:
        retry_in = schedule[tries_this_round]
        fields = dict(next_attempt_at=finished_at + timedelta(seconds=retry_in))
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    logger.info(
        "webhook %s attempt %s to delivery %s: %s in %s ms%s",
        event.id,
        number,
        delivery.pk,
        status_code or "no answer",
        latency_ms,
        f", retry in {retry_in:g} s" if retry_in is not None else "",
    )
    return AttemptResult(attempt, retry_in)


def delivery_resend(*, delivery: Delivery) -> Delivery:
    """Send the event again now (same `webhook-id`, a fresh round of retries)."""
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
        locked.status = Delivery.PENDING
        locked.round_start = locked.attempt_count
        locked.next_attempt_at = timezone.now()
        locked.completed_at = None
        locked.save(update_fields=["status", "round_start", "next_attempt_at", "completed_at"])
        _enqueue(locked.pk, countdown=0)
    return locked


def deliveries_enqueue_due(*, limit: int = 500) -> int:
    """Re-enqueue deliveries whose attempt is overdue (a lost task, a restarted worker)."""
    overdue = timezone.now() - timedelta(seconds=60)
    ids = list(
        Delivery.objects.filter(status=Delivery.PENDING, next_attempt_at__lte=overdue)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        _enqueue(pk, countdown=0)
    return len(ids)
