"""Reads for the operator: a user's plan, and the figures the dashboard draws."""

from django.db.models import Sum

from ops.models import Plan

# What a user is on when the operator has deleted every plan: the seeded free tier.
FALLBACK_PLAN = Plan(
    name="Free", min_lifetime_topup_credits=0, requests_per_minute=20, max_in_flight=2
)


def lifetime_topups(*, user):
    """Credits the user has ever bought: the sum of their ledger's top-up entries."""
    from billing.models import EntryKind, LedgerEntry

    total = LedgerEntry.objects.filter(user=user, kind=EntryKind.TOP_UP).aggregate(
        total=Sum("amount")
    )["total"]
    return total or 0


def plan_for_user(*, user):
    """The highest plan whose threshold the user's lifetime top-ups reach."""
    bought = lifetime_topups(user=user)
    plan = (
        Plan.objects.filter(min_lifetime_topup_credits__lte=bought)
        .order_by("-min_lifetime_topup_credits")
        .first()
    )
    return plan or FALLBACK_PLAN
