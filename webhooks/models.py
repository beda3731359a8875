"""Signing secrets, the events we send about generations, their deliveries and every attempt."""

import json
import secrets
import string

from django.conf import settings
from django.db import models
from django.utils import timezone

ID_ALPHABET = string.ascii_letters + string.digits


def new_event_id():
    return "evt_" + "".join(secrets.choice(ID_ALPHABET) for _ in range(24))


class SigningSecret(models.Model):
    """An account's Standard Webhooks secret (`whsec_<base64>`). It must be kept readable to
    sign, so it is stored as is. After a rotation the old secret keeps signing until
    `expires_at`; the current one has `retired_at` NULL."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signing_secrets"
    )
    secret = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(retired_at__isnull=True),
                name="signing_secret_one_current_per_user",
            )
        ]

    def __str__(self):
        return f"signing secret of {self.user_id} ({self.created_at:%Y-%m-%d})"

    @property
    def hint(self):
        """Enough of the secret to tell two apart without revealing it."""
        return f"{self.secret[:10]}…{self.secret[-4:]}"


class Event(models.Model):
    """Something that happened to a generation, as the JSON body we sign and send. The body is
    frozen at creation so every retry and resend carries the same bytes and `webhook-id`."""

    id = models.CharField(max_length=40, primary_key=True, default=new_event_id)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_events"
    )
    generation = models.ForeignKey(
        "generations.Generation", on_delete=models.CASCADE, related_name="webhook_events"
    )
    type = models.CharField(max_length=64)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A transition is announced once, however often the pipeline retries.
            models.UniqueConstraint(fields=["generation", "type"], name="event_once_per_type")
        ]

    def __str__(self):
        return f"{self.id} {self.type}"

    @property
    def body_pretty(self):
        return json.dumps(json.loads(self.body), indent=2)


class Delivery(models.Model):
    """Getting one event to one URL: retried on a schedule until a 2xx answer or the last try."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STATUS_CHOICES = [(s, s) for s in (PENDING, SUCCEEDED, FAILED)]

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="delivery")
    url = models.URLField(max_length=2000)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # attempt_count when the current round of the retry schedule began (a resend starts a round).
    round_start = models.PositiveIntegerField(default=0)
    # When the next attempt is due; an attempt in progress pushes it ahead (a lease), so two
    # workers never send the same attempt.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.event_id} → {self.url} ({self.status})"

    @property
    def last_attempt(self):
        attempts = list(self.attempts.all())  # prefetched on list pages
        return attempts[-1] if attempts else None


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True, default="")
    response_excerpt = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="attempt_number_unique")
        ]

    def __str__(self):
        return f"attempt {self.number} of {self.delivery_id}"

    @property
    def ok(self):
        return self.status_code is not None and 200 <= self.status_code < 300
