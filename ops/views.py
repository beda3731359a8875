"""The operator's dashboard and its CSV export (staff only; anyone else finds nothing here)."""

import csv
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import render

from ops import charts, selectors


def staff_only(view):
    """Signed-out visitors are sent to sign in; signed-in non-staff get a plain 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@staff_only
def dashboard(request):
    days = selectors.period_days(request.GET.get("days"))
    figures = selectors.overview(days=days)
    labels = [d.date.strftime("%b %-d") for d in figures.daily]
    generations_chart = charts.stacked_bars(
        labels=labels,
        series=[
            (status, f"s-{status}", [d.generations[status] for d in figures.daily])
            for status in selectors.STATUSES
        ],
        title="Generations per day by status",
    )
    revenue_chart = charts.stacked_bars(
        labels=labels,
        series=[("revenue", "s-revenue", [d.revenue_cents / 100 for d in figures.daily])],
        title="Revenue per day",
        unit="$",
    )
    failure_chart = charts.horizontal_bars(
        rows=[
            (m.name, None if m.failure_rate is None else m.failure_rate * 100)
            for m in figures.models
        ],
        title="Failure rate per model",
        maximum=100,
        suffix="%",
    )
    latency_chart = charts.horizontal_bars(
        rows=[
            (m.name, None if m.latency_avg_ms is None else m.latency_avg_ms / 1000)
            for m in figures.models
        ],
        title="Average upstream latency per model",
        suffix=" s",
    )
    ctx = {
        "figures": figures,
        "periods": selectors.PERIODS,
        "revenue_usd": figures.revenue_cents / 100,
        "net_revenue_usd": (figures.revenue_cents - figures.refunded_cents) / 100,
        "refunded_usd": figures.refunded_cents / 100,
        "legend": [(s, figures.generations[s]) for s in selectors.STATUSES],
        "generations_chart": generations_chart,
        "revenue_chart": revenue_chart,
        "failure_chart": failure_chart,
        "latency_chart": latency_chart,
    }
    return render(request, "ops/dashboard.html", ctx)


@staff_only
def export_csv(request):
    """The dashboard's figures as CSV: one row per day, or with ?table=models one per model."""
    days = selectors.period_days(request.GET.get("days"))
    table = "models" if request.GET.get("table") == "models" else "daily"
    figures = selectors.overview(days=days)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="veoportal-{table}-{days}d.csv"'
    writer = csv.writer(response)
    if table == "models":
        writer.writerow(
            [
                "model",
                "generations",
                "succeeded",
                "failed",
                "failure_rate",
                "latency_avg_ms",
                "latency_p95_ms",
            ]
        )
        for m in figures.models:
            rate = "" if m.failure_rate is None else f"{m.failure_rate:.4f}"
            writer.writerow(
                [
                    m.slug,
                    m.total,
                    m.succeeded,
                    m.failed,
                    rate,
                    m.latency_avg_ms or "",
                    m.latency_p95_ms or "",
                ]
            )
        return response
    writer.writerow(
        ["date", "revenue_usd", "refunded_usd", "credits_sold"]
        + [f"generations_{s}" for s in selectors.STATUSES]
    )
    for day in figures.daily:
        writer.writerow(
            [
                day.date.isoformat(),
                f"{day.revenue_cents / 100:.2f}",
                f"{day.refunded_cents / 100:.2f}",
                day.credits_sold,
            ]
            + [day.generations[s] for s in selectors.STATUSES]
        )
    return response
