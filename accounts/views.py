"""The keys page: create, list, rotate, revoke. A new key's raw value is rendered once, in the
answer to the POST that made it, and is kept nowhere else (no redirect URL, no session)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import selectors, services
from accounts.forms import KeyCreateForm, KeyRotateForm


def _keys_page(request, *, form=None, new_key=None, raw_key=None, status=200):
    context = {
        "form": form or KeyCreateForm(),
        "api_keys": selectors.api_keys_for_user(user=request.user),
        "new_key": new_key,
        "raw_key": raw_key,
        "now": timezone.now(),
    }
    return render(request, "accounts/keys.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def keys(request):
    if request.method == "GET":
        return _keys_page(request)
    form = KeyCreateForm(request.POST)
    if not form.is_valid():
        return _keys_page(request, form=form, status=400)
    new_key, raw_key = services.api_key_create(
        user=request.user,
        name=form.cleaned_data["name"],
        expires_at=form.expires_at,
        rpm_limit=form.cleaned_data["rpm_limit"],
        spend_cap=form.cleaned_data["spend_cap"],
    )
    return _keys_page(request, new_key=new_key, raw_key=raw_key)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def rotate(request, key_id):
    api_key = selectors.api_key_get_for_owner(user=request.user, key_id=key_id)
    form = KeyRotateForm(request.POST if request.method == "POST" else None)
    if api_key.state() not in ("active", "expiring") or api_key.rotated_to_id:
        messages.error(request, f"“{api_key.name}” can no longer be rotated.")
        return redirect("keys")
    if request.method == "POST" and form.is_valid():
        try:
            new_key, raw_key = services.api_key_rotate(
                api_key=api_key, grace=form.cleaned_data["grace"]
            )
        except services.KeyNotUsable:
            messages.error(request, f"“{api_key.name}” can no longer be rotated.")
            return redirect("keys")
        return _keys_page(request, new_key=new_key, raw_key=raw_key)
    return render(request, "accounts/rotate.html", {"api_key": api_key, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def revoke(request, key_id):
    api_key = selectors.api_key_get_for_owner(user=request.user, key_id=key_id)
    if request.method == "POST":
        services.api_key_revoke(api_key=api_key)
        messages.success(request, f"“{api_key.name}” ({api_key.prefix}…) is revoked.")
        return redirect("keys")
    return render(request, "accounts/revoke.html", {"api_key": api_key})
