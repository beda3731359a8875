"""The billing pages (balance, top-ups, ledger, CSV), the sandbox checkout and Stripe's webhook."""

import csv
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing import selectors, services
from billing.models import TopUp, TopUpPack, TopUpStatus
from billing.providers import PaymentError, get_provider

logger = logging.getLogger(__name__)

LEDGER_PAGE_SIZE = 20


@login_required
@require_GET
def index(request):
    entries = Paginator(selectors.ledger_entries(user=request.user), LEDGER_PAGE_SIZE)
    packs = list(selectors.top_up_packs())
    for pack in packs:
        pack.credits = services.credits_for_cents(pack.amount_cents)
    ctx = {
        "balance": selectors.balance_get(user=request.user),
        "packs": packs,
        "provider": get_provider(),
        "entries": entries.get_page(request.GET.get("page")),
        "top_ups": selectors.top_ups(user=request.user)[:10],
        "credit_value_usd": settings.CREDIT_VALUE_USD,
        "credits_per_dollar": services.credits_for_cents(100),
        "min_usd": settings.TOP_UP_MIN_CENTS / 100,
        "max_usd": settings.TOP_UP_MAX_CENTS / 100,
        "canceled": request.GET.get("canceled"),
    }
    return render(request, "billing/index.html", ctx)


def _amount_cents(raw):
    try:
        return round(float(raw) * 100)
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def top_up_start(request):
    pack = None
    if pack_id := request.POST.get("pack"):
        pack = TopUpPack.objects.filter(pk=pack_id, is_active=True).first()
        if pack is None:
            messages.error(request, "That top-up pack is no longer offered.")
            return redirect("billing:index")
    amount_cents = _amount_cents(request.POST.get("amount"))
    if pack is None and amount_cents is None:
        messages.error(request, "Enter an amount in US dollars.")
        return redirect("billing:index")
    try:
        top_up = services.top_up_create(user=request.user, amount_cents=amount_cents, pack=pack)
    except services.TopUpRefused as exc:
        messages.error(request, str(exc))
        return redirect("billing:index")
    try:
        return redirect(services.top_up_checkout(top_up=top_up))
    except PaymentError as exc:
        logger.warning("checkout of %s failed: %s", top_up.id, exc)
        services.top_up_cancel(top_up_id=top_up.id)
        messages.error(request, "The payment provider is unavailable right now. Try again shortly.")
        return redirect("billing:index")


def _own_top_up(request, top_up_id):
    # Someone else's top-up answers exactly like an unknown one.
    return get_object_or_404(TopUp, pk=top_up_id, user=request.user)


def _status(top_up, user):
    balance = selectors.balance_get(user=user)
    return {
        "id": top_up.id,
        "status": top_up.status,
        "credits": top_up.credits,
        "available": balance.available,
        "held": balance.held,
    }


@login_required
@require_GET
def top_up_detail(request, top_up_id):
    """Where checkout returns to. It shows what our database knows (credited by the webhook),
    never what the redirect's query string claims."""
    top_up = _own_top_up(request, top_up_id)
    return render(
        request,
        "billing/top_up_detail.html",
        {"top_up": top_up, "state": _status(top_up, request.user)},
    )


@login_required
@require_GET
def top_up_status(request, top_up_id):
    return JsonResponse(_status(_own_top_up(request, top_up_id), request.user))


def _sandbox_top_up(request, top_up_id):
    if settings.PAYMENT_PROVIDER != "sandbox":
        raise Http404("The sandbox is off.")  # never a way to free credits in production
    return get_object_or_404(TopUp, pk=top_up_id, user=request.user, provider="sandbox")


@login_required
def sandbox_checkout(request, top_up_id):
    top_up = _sandbox_top_up(request, top_up_id)
    if request.method == "POST":
        if top_up.status != TopUpStatus.PENDING:
            return redirect("billing:top_up_detail", top_up.id)
        if request.POST.get("action") == "pay":
            services.top_up_fulfil(
                top_up_id=top_up.id, amount_cents=top_up.amount_cents, currency=top_up.currency
            )
            return redirect("billing:top_up_detail", top_up.id)
        services.top_up_cancel(top_up_id=top_up.id)
        return redirect(reverse("billing:index") + f"?canceled={top_up.id}")
    return render(request, "billing/sandbox_checkout.html", {"top_up": top_up})


class _Echo:
    def write(self, value):
        return value


@login_required
@require_GET
def ledger_csv(request):
    writer = csv.writer(_Echo())
    header = ["created_at", "kind", "amount", "available_change", "held_change"]
    header += ["available_after", "held_after", "reference", "description"]

    def rows():
        yield writer.writerow(header)
        for e in selectors.ledger_entries(user=request.user).iterator():
            yield writer.writerow(
                [
                    e.created_at.isoformat(),
                    e.kind,
                    e.amount,
                    e.delta_available,
                    e.delta_held,
                    e.available_after,
                    e.held_after,
                    e.reference,
                    e.description,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="veoportal-ledger.csv"'
    return response


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events. 400 for anything not signed with our secret (nothing changes); 200 for
    events that are not ours or not interesting, so Stripe stops retrying them."""
    import stripe

    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        return HttpResponseBadRequest("Stripe webhooks are not configured.")
    try:
        stripe.Webhook.construct_event(
            request.body, request.headers.get("Stripe-Signature", ""), secret
        )
        event = json.loads(request.body)
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("Invalid signature or payload.")
    if event.get("object") != "event" or not event.get("id"):
        return HttpResponseBadRequest("Not a Stripe event.")
    outcome = services.stripe_event_handle(event=event)
    return HttpResponse(
        json.dumps({"received": True, "outcome": outcome}), content_type="application/json"
    )
