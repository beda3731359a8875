"""Reads for the operator: a user's plan, and the figures the dashboard draws."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing.selectors import lifetime_top_up_credits
from ops.models import Plan

# What a user is on when the operator has deleted every plan: the seeded free tier.
FALLBACK_PLAN = Plan(
    name="Free", min_lifetime_topup_credits=0, requests_per_minute=20, max_in_flight=2
)


def plan_for_user(*, user):
    """The highest plan whose threshold the user's lifetime top-ups reach."""
    bought = lifetime_top_up_credits(user=user)
    plan = (
        Plan.objects.filter(min_lifetime_topup_credits__lte=bought)
        .order_by("-min_lifetime_topup_credits")
        .first()
    )
    return plan or FALLBACK_PLAN


PERIODS = (7, 30, 90)
STATUSES = ("queued", "running", "succeeded", "failed")


@dataclass(frozen=True)
class Day:
    date: date
    revenue_cents: int
    refunded_cents: int
    credits_sold: int
    generations: dict  # status -> count


@dataclass(frozen=True)
class ModelFigures:
    slug: str
    name: str
    total: int
    succeeded: int
    failed: int
    failure_rate: float | None  # failed / finished, None when nothing finished
    latency_avg_ms: int | None
    latency_p95_ms: int | None

    @property
    def failure_percent(self):
        return None if self.failure_rate is None else self.failure_rate * 100


@dataclass(frozen=True)
class Overview:
    days: int
    since: datetime
    revenue_cents: int
    refunded_cents: int
    credits_sold: int
    credits_outstanding: int
    credits_held: int
    generations: dict  # status -> count over the period
    daily: list  # [Day], oldest first, one per calendar day (UTC) of the period
    models: list  # [ModelFigures]


def period_days(value):
    """The dashboard period asked for, or the default when it is not one we offer."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return 30
    return days if days in PERIODS else 30


def overview(*, days, now=None):
    """Everything the operator's dashboard shows for the last `days` days (today included)."""
    from billing.models import Account, EntryKind, LedgerEntry, TopUp
    from generations.models import Generation

    now = now or timezone.now()
    first_day = (now - timedelta(days=days - 1)).date()
    since = datetime.combine(first_day, time.min, tzinfo=UTC)
    calendar = [first_day + timedelta(days=i) for i in range(days)]

    revenue = _by_day(
        TopUp.objects.filter(paid_at__gte=since, paid_at__isnull=False),
        "paid_at",
        revenue=Sum("amount_cents"),
        refunded=Sum("refunded_cents"),
    )
    sold = _by_day(
        LedgerEntry.objects.filter(kind=EntryKind.TOP_UP, created_at__gte=since),
        "created_at",
        credits=Sum("amount"),
    )
    per_status = {}
    rows = (
        Generation.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        per_status.setdefault(row["day"], dict.fromkeys(STATUSES, 0))[row["status"]] = row["n"]

    daily = [
        Day(
            date=day,
            revenue_cents=revenue.get(day, {}).get("revenue") or 0,
            refunded_cents=revenue.get(day, {}).get("refunded") or 0,
            credits_sold=sold.get(day, {}).get("credits") or 0,
            generations=per_status.get(day, dict.fromkeys(STATUSES, 0)),
        )
        for day in calendar
    ]
    balances = Account.objects.aggregate(available=Sum("available"), held=Sum("held"))
    return Overview(
        days=days,
        since=since,
        revenue_cents=sum(d.revenue_cents for d in daily),
        refunded_cents=sum(d.refunded_cents for d in daily),
        credits_sold=sum(d.credits_sold for d in daily),
        credits_outstanding=balances["available"] or 0,
        credits_held=balances["held"] or 0,
        generations={s: sum(d.generations[s] for d in daily) for s in STATUSES},
        daily=daily,
        models=model_figures(since=since),
    )


def model_figures(*, since):
    """Per video model over the period: volume, failure rate of finished work, upstream latency."""
    from generations.models import Generation, VideoModel

    counts = {
        row["model_id"]: row
        for row in Generation.objects.filter(created_at__gte=since)
        .values("model_id")
        .annotate(
            total=Count("id"),
            succeeded=Count("id", filter=Q(status="succeeded")),
            failed=Count("id", filter=Q(status="failed")),
        )
    }
    latencies = {}
    for model_id, ms in (
        Generation.objects.filter(created_at__gte=since, upstream_latency_ms__isnull=False)
        .values_list("model_id", "upstream_latency_ms")
        .iterator()
    ):
        latencies.setdefault(model_id, []).append(ms)

    figures = []
    for model in VideoModel.objects.order_by("sort_order", "slug"):
        row = counts.get(model.pk, {"total": 0, "succeeded": 0, "failed": 0})
        finished = row["succeeded"] + row["failed"]
        samples = sorted(latencies.get(model.pk, []))
        figures.append(
            ModelFigures(
                slug=model.slug,
                name=model.display_name,
                total=row["total"],
                succeeded=row["succeeded"],
                failed=row["failed"],
                failure_rate=row["failed"] / finished if finished else None,
                latency_avg_ms=round(sum(samples) / len(samples)) if samples else None,
                latency_p95_ms=samples[min(len(samples) - 1, int(len(samples) * 0.95))]
                if samples
                else None,
            )
        )
    return figures


def _by_day(queryset, field, **aggregates):
    rows = (
        queryset.annotate(day=TruncDate(field, tzinfo=UTC))
        .values("day")
        .annotate(**aggregates)
        .order_by("day")
    )
    return {row["day"]: row for row in rows}
