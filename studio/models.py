"""What the studio's own webhook receiver has heard about each generation."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReceivedEvent(models.Model):
    """One verified webhook. `webhook_id` is UNIQUE: a redelivery changes nothing."""

    webhook_id = models.CharField(max_length=100, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="studio_events"
    )
    generation = models.ForeignKey(
        "generations.Generation", on_delete=models.CASCADE, related_name="studio_events"
    )
    type = models.CharField(max_length=64)
    status = models.CharField(max_length=16)
    progress = models.PositiveSmallIntegerField(default=0)
    payload = models.JSONField()
    sent_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["generation", "-received_at"], name="studio_event_recent")]

    def __str__(self):
        return f"{self.webhook_id} {self.type}"
