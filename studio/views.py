"""The studio page, the gallery's JSON feed, and the studio's own webhook receiver."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from studio import selectors, services


@login_required
@ensure_csrf_cookie
@require_GET
def studio(request):
    status = request.GET.get("status") or None
    cards, next_before = selectors.gallery_page(user=request.user, status=status)
    return render(
        request,
        "studio/studio.html",
        {
            "status": status if status in selectors.STATUSES else "",
            "initial": {
                "cards": cards,
                "next": next_before,
                "counts": selectors.gallery_counts(user=request.user),
            },
            "config": {
                "receiverUrl": selectors.studio_receiver_url(),
                "feedUrl": reverse("studio:feed"),
                "status": status if status in selectors.STATUSES else "",
                "deliveriesUrl": reverse("webhooks:index"),
                "resendUrl": reverse("webhooks:resend", args=[0]),
            },
        },
    )


def _signed_in_json(view):
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "Sign in to see your gallery."}, status=401)
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@_signed_in_json
def feed(request):
    """A page of cards (`status`, `before`), or just the cards named in `ids` (for polling)."""
    if ids := request.GET.get("ids"):
        cards = selectors.gallery_cards(user=request.user, ids=ids.split(",")[:50])
        return JsonResponse({"cards": cards})
    counts = selectors.gallery_counts(user=request.user)
    if request.GET.get("only") == "counts":
        return JsonResponse({"counts": counts})
    status = request.GET.get("status") or None
    cards, next_before = selectors.gallery_page(
        user=request.user, status=status, before=request.GET.get("before") or None
    )
    return JsonResponse({"cards": cards, "next": next_before, "counts": counts})


@require_GET
@_signed_in_json
def feed_card(request, generation_id):
    cards = selectors.gallery_cards(user=request.user, ids=[generation_id])
    if not cards:
        raise Http404
    return JsonResponse(cards[0])


@csrf_exempt  # signed with Standard Webhooks instead; a browser never posts here
@require_POST
def receiver(request):
    try:
        event, created = services.webhook_receive(body=request.body, headers=request.headers)
    except services.BadWebhook as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"received": event.webhook_id, "duplicate": not created})
