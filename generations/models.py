"""Video models on sale (operator-edited data) and the generations customers ask for."""

import secrets
import string

from django.conf import settings
from django.db import models
from django.utils import timezone

ID_ALPHABET = string.ascii_letters + string.digits


def new_generation_id():
    return "gen_" + "".join(secrets.choice(ID_ALPHABET) for _ in range(24))


class VideoModel(models.Model):
    """One model customers can ask for, mapped to an upstream model id and priced per second."""

    slug = models.SlugField(max_length=64, unique=True)
    display_name = models.CharField(max_length=100)
    upstream_model = models.CharField(max_length=100)
    # Durations we accept and charge; upstream_durations are what upstream can make. When a
    # duration is missing upstream, the next longer one is asked for and the clip is trimmed.
    durations = models.JSONField(default=list)
    upstream_durations = models.JSONField(default=list, blank=True)
    aspect_ratios = models.JSONField(default=list)
    resolution = models.CharField(max_length=16, default="720p")
    price_per_second = models.PositiveIntegerField(help_text="Credits per second of video.")
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sort_order", "slug"]

    def __str__(self):
        return self.slug

    def upstream_duration_for(self, duration):
        """The shortest upstream length that covers `duration` (None when none does)."""
        if not self.upstream_durations:
            return duration
        longer = sorted(d for d in self.upstream_durations if d >= duration)
        return longer[0] if longer else None

    def price_for(self, duration):
        return duration * self.price_per_second


class Generation(models.Model):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STATUS_CHOICES = [(s, s) for s in (QUEUED, RUNNING, SUCCEEDED, FAILED)]
    UNSETTLED = (QUEUED, RUNNING)

    id = models.CharField(max_length=40, primary_key=True, default=new_generation_id)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="generations",
    )
    model = models.ForeignKey(VideoModel, on_delete=models.PROTECT, related_name="generations")

    prompt = models.TextField()
    negative_prompt = models.TextField(blank=True, default="")
    duration = models.PositiveSmallIntegerField()
    upstream_duration = models.PositiveSmallIntegerField()
    aspect_ratio = models.CharField(max_length=8)
    resolution = models.CharField(max_length=16, default="720p")
    # image-to-video: an http(s) URL the worker fetches through the address filter, or the
    # decoded bytes of a data: URL stored in `image`.
    image_url = models.TextField(blank=True, default="")
    image = models.FileField(upload_to="inputs/", blank=True, default="")
    image_mime_type = models.CharField(max_length=32, blank=True, default="")
    webhook_url = models.URLField(max_length=2000, blank=True, default="")

    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    cost = models.PositiveIntegerField(help_text="Credits held, then captured on success.")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")

    # Bound at submission so polling and download always use the provider and credential that
    # started the operation, whatever the settings say later.
    provider = models.CharField(max_length=32, blank=True, default="")
    operation_name = models.CharField(max_length=500, blank=True, default="")
    credential_id = models.CharField(max_length=100, blank=True, default="")

    video = models.FileField(upload_to="videos/", blank=True, default="", max_length=300)
    poster = models.FileField(upload_to="posters/", blank=True, default="", max_length=300)

    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Upstream calls made so far.")
    upstream_latency_ms = models.PositiveIntegerField(null=True, blank=True)

    # NULL, not "", so the unique constraint below only binds keys that were sent.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    idempotency_hash = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="generation_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="generation_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="generation_user_recent"),
            models.Index(fields=["status", "created_at"], name="generation_status_age"),
        ]

    def __str__(self):
        return self.id

    @property
    def is_settled(self):
        return self.status in (self.SUCCEEDED, self.FAILED)
