"""The account's webhook page: the signing secret (with rotation) and every delivery with its
attempts and a resend button."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from webhooks import selectors, services


@login_required
@require_GET
def index(request):
    services.signing_secret_ensure(user=request.user)
    generation_id = request.GET.get("generation") or None
    deliveries = selectors.deliveries_for_user(user=request.user, generation_id=generation_id)
    page = Paginator(deliveries, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/index.html",
        {
            "secrets": list(selectors.signing_secrets_in_use(user=request.user)),
            "page": page,
            "generation_id": generation_id,
        },
    )


@login_required
@require_POST
def rotate(request):
    services.signing_secret_rotate(user=request.user)
    messages.success(
        request,
        "New signing secret created. The previous one keeps signing beside it for 24 hours.",
    )
    return redirect("webhooks:index")


@login_required
@require_GET
def delivery(request, pk):
    found = selectors.delivery_for_user(user=request.user, pk=pk)
    if found is None:
        raise Http404
    return render(request, "webhooks/delivery.html", {"delivery": found})


@login_required
@require_POST
def resend(request, pk):
    found = selectors.delivery_for_user(user=request.user, pk=pk)
    if found is None:
        raise Http404
    services.delivery_resend(delivery=found)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"resent": found.pk})
    messages.success(request, f"Sending {found.event.type} for {found.event.generation_id} again.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "webhooks:index"
    return redirect(back)
