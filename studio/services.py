"""The studio's webhook receiver: verify a Standard Webhooks delivery with the owner's secrets
and record it once."""

import json
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from standardwebhooks import Webhook

from studio.models import ReceivedEvent
from webhooks import selectors as webhook_selectors

SIGNATURE_REFUSED = "The signature does not verify, or the timestamp is too old or too new."


class BadWebhook(Exception):
    """The delivery is not one we can trust; nothing was recorded."""


def _owner_generation(payload):
    from generations.models import Generation

    data = payload.get("data") if isinstance(payload, dict) else None
    gen_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(gen_id, str):
        raise BadWebhook("The payload names no generation.")
    generation = Generation.objects.filter(pk=gen_id).select_related("user").first()
    if generation is None:
        # Worded like a bad signature, so the answer never says which generation ids exist.
        raise BadWebhook(SIGNATURE_REFUSED)
    return generation


def _verify(body: bytes, headers, secrets):
    for secret in secrets:
        try:
            return Webhook(secret).verify(body, headers)
        except Exception:  # noqa: BLE001 - any failure to verify means "not this secret"
            continue
    raise BadWebhook(SIGNATURE_REFUSED)


def webhook_receive(*, body: bytes, headers) -> tuple[ReceivedEvent, bool]:
    """(the recorded event, whether it is new). Raises BadWebhook and records nothing when the
    signature, the timestamp or the payload is wrong."""
    headers = {k.lower(): v for k, v in headers.items()}
    try:
        claimed = json.loads(body)
    except ValueError as exc:
        raise BadWebhook("The body is not JSON.") from exc
    # The payload says whose secret to check with; nothing in it is trusted until it verifies.
    generation = _owner_generation(claimed)
    payload = _verify(body, headers, webhook_selectors.signing_secrets_active(user=generation.user))
    data = payload["data"]
    webhook_id = headers["webhook-id"]
    existing = ReceivedEvent.objects.filter(webhook_id=webhook_id).first()
    if existing:
        return existing, False
    progress = data.get("progress")
    try:
        with transaction.atomic():
            event = ReceivedEvent.objects.create(
                webhook_id=webhook_id,
                user=generation.user,
                generation=generation,
                type=str(payload.get("type", ""))[:64],
                status=str(data.get("status", ""))[:16],
                progress=progress if isinstance(progress, int) and 0 <= progress <= 100 else 0,
                payload=payload,
                sent_at=datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC),
            )
    except IntegrityError:  # the same delivery arrived twice at once
        return ReceivedEvent.objects.get(webhook_id=webhook_id), False
    return event, True
