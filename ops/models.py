"""Plans (the tiers that set rate limits and in-flight caps) and the database rate-limit counters."""

from django.db import models


class Plan(models.Model):
    """A tier: a user is on the highest plan whose threshold their lifetime top-ups reach."""

    name = models.CharField(max_length=60, unique=True)
    min_lifetime_topup_credits = models.PositiveBigIntegerField(
        unique=True, help_text="Lifetime top-ups (credits) from which a user is on this plan."
    )
    requests_per_minute = models.PositiveIntegerField(
        help_text="Requests per minute per API key (unless the key sets its own) or per session."
    )
    max_in_flight = models.PositiveIntegerField(
        help_text="Generations an account may have queued or running at once."
    )

    class Meta:
        ordering = ["min_lifetime_topup_credits"]

    def __str__(self):
        return self.name


class RateWindow(models.Model):
    """One fixed one-minute window per rate-limit bucket, used when there is no Redis.

    The row is locked while it is read and bumped, so every local process shares one count.
    """

    bucket = models.CharField(max_length=120, unique=True)
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.bucket}: {self.count} since {self.window_start:%H:%M:%S}"
