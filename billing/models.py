"""The credit ledger (accounts, append-only entries, holds) and the top-ups that buy credits."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Account(models.Model):
    """One row per user: the cached balance, updated in the same transaction as every entry.

    `available` can be spent; `held` is reserved by running generations. Both always equal the sum
    of the user's ledger entries (`check_ledger` verifies it) and the database refuses negatives.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_account"
    )
    available = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(available__gte=0), name="account_available_gte_0"),
            models.CheckConstraint(condition=Q(held__gte=0), name="account_held_gte_0"),
        ]

    def __str__(self):
        return f"{self.user} ({self.available} available, {self.held} held)"


class EntryKind(models.TextChoices):
    TOP_UP = "top_up", "Top-up"
    GRANT = "grant", "Grant"
    HOLD = "hold", "Hold"
    CAPTURE = "capture", "Capture"
    RELEASE = "release", "Release"
    REFUND = "refund", "Refund"
    ADJUSTMENT = "adjustment", "Adjustment"


class LedgerEntry(models.Model):
    """An append-only change of one user's balance. Never updated, never deleted.

    Each entry says how it moved `available` and `held`; a hold moves credits from available to
    held, a capture spends held credits, a release returns them. `reference` is unique across the
    whole ledger, so writing the same reference twice changes nothing.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    # The credits the entry is about, always positive; the deltas carry the direction.
    amount = models.BigIntegerField()
    delta_available = models.BigIntegerField()
    delta_held = models.BigIntegerField(default=0)
    available_after = models.BigIntegerField()
    held_after = models.BigIntegerField()
    reference = models.CharField(max_length=200, unique=True)
    description = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="ledger_amount_gte_0"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.delta_available:+d} ({self.reference})"


class HoldState(models.TextChoices):
    HELD = "held", "Held"
    CAPTURED = "captured", "Captured"
    RELEASED = "released", "Released"


class Hold(models.Model):
    """Credits reserved for one piece of work (a generation), settled exactly once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="holds"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="holds"
    )
    reference = models.CharField(max_length=200, unique=True)
    amount = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=HoldState.choices, default=HoldState.HELD)
    description = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["api_key", "state"])]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="hold_amount_gte_0")]

    def __str__(self):
        return f"{self.reference}: {self.amount} {self.state}"


class TopUpPack(models.Model):
    """A top-up button on the billing page; the operator edits these in the admin."""

    name = models.CharField(max_length=60, blank=True)
    amount_cents = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "amount_cents"]

    def __str__(self):
        return self.name or self.dollars

    @property
    def dollars(self):
        """ "$10" for whole dollars, "$12.50" otherwise."""
        whole, cents = divmod(self.amount_cents, 100)
        return f"${whole:,}" if not cents else f"${self.amount_cents / 100:,.2f}"


def _topup_id():
    return "tu_" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")


class TopUpStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    CANCELED = "canceled", "Canceled"


class TopUp(models.Model):
    """One purchase of credits through a payment provider. External ids are unique so a webhook
    can only ever find one purchase, and a purchase can only ever be paid once."""

    id = models.CharField(primary_key=True, max_length=32, default=_topup_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="top_ups"
    )
    provider = models.CharField(max_length=20)
    pack = models.ForeignKey(TopUpPack, null=True, blank=True, on_delete=models.SET_NULL)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    credits = models.BigIntegerField()
    status = models.CharField(
        max_length=20, choices=TopUpStatus.choices, default=TopUpStatus.PENDING
    )
    checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    charge_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    refunded_cents = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "top-up"

    def __str__(self):
        return f"{self.id} ${self.amount_cents / 100:,.2f} {self.status}"

    @property
    def amount_usd(self):
        return f"{self.amount_cents / 100:,.2f}"

    @property
    def refunded_usd(self):
        return f"{self.refunded_cents / 100:,.2f}"


class TopUpRefund(models.Model):
    """A refund of a top-up, keyed by the provider's refund id so it debits credits once.

    `shortfall` records credits that could not be debited because they were already spent."""

    refund_id = models.CharField(max_length=255, unique=True)
    top_up = models.ForeignKey(TopUp, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveIntegerField()
    credits = models.BigIntegerField()
    credits_debited = models.BigIntegerField()
    shortfall = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.refund_id} ${self.amount_cents / 100:,.2f}"


class StripeEvent(models.Model):
    """Every Stripe event id we processed, once; a replay finds its row and changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.event_id} {self.type}"
