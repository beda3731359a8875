"""The operator's view of money: the ledger is read-only and append-only here; grants and
corrections are new entries written through the billing services, never edits."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse

from accounts.models import User
from billing import services
from billing.models import (
    Account,
    Hold,
    LedgerEntry,
    StripeEvent,
    TopUp,
    TopUpPack,
    TopUpRefund,
    TopUpStatus,
)
from billing.providers import PaymentError


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: visible, never added, edited or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CreditForm(forms.Form):
    KIND_CHOICES = [
        ("grant", "Grant: give credits (positive amount)"),
        ("adjustment", "Adjustment: correct the balance (negative removes credits)"),
    ]
    email = forms.EmailField(label="User email")
    kind = forms.ChoiceField(choices=KIND_CHOICES, widget=forms.RadioSelect, initial="grant")
    amount = forms.IntegerField(help_text="Credits. Grants must be positive.")
    reason = forms.CharField(max_length=400, help_text="Shown in the user's ledger.")

    def clean_email(self):
        user = User.objects.filter(email__iexact=self.cleaned_data["email"]).first()
        if user is None:
            raise forms.ValidationError("No user has this email address.")
        self.user = user
        return user.email


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["user", "available", "held", "updated_at", "credit_link"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "available", "held", "updated_at"]
    change_list_template = "admin/billing/account/change_list.html"

    def get_urls(self):
        return [
            path(
                "credit/",
                self.admin_site.admin_view(self.credit_view),
                name="billing_account_credit",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="")
    def credit_link(self, account):
        from django.utils.html import format_html

        url = reverse("admin:billing_account_credit") + f"?email={account.user.email}"
        return format_html('<a href="{}">Grant or adjust…</a>', url)

    def credit_view(self, request):
        """Grants go through credits_grant and corrections through credits_adjust, exactly
        like `manage.py grant_credits`."""
        if not request.user.has_perm("billing.add_ledgerentry") and not request.user.is_superuser:
            raise PermissionDenied
        form = CreditForm(request.POST or None, initial={"email": request.GET.get("email", "")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            reason = f"{data['reason']} (by {request.user.email})"
            try:
                if data["kind"] == "grant":
                    entry = services.credits_grant(
                        user=form.user, amount=data["amount"], reason=reason
                    )
                else:
                    entry = services.credits_adjust(
                        user=form.user, amount=data["amount"], reason=reason
                    )
            except ValueError as exc:
                form.add_error("amount", str(exc))
            else:
                messages.success(
                    request,
                    f"{entry.get_kind_display()} of {entry.delta_available:+,} credits for "
                    f"{form.user.email}; available now {entry.available_after:,}.",
                )
                return redirect("admin:billing_account_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Grant or adjust credits",
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/billing/account/credit.html", context)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "user",
        "kind",
        "delta_available",
        "delta_held",
        "available_after",
        "held_after",
        "reference",
        "description",
    ]
    list_filter = ["kind", "created_at"]
    search_fields = ["user__email", "reference", "description"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["reference", "user", "amount", "state", "api_key", "created_at", "settled_at"]
    list_filter = ["state", "created_at"]
    search_fields = ["reference", "user__email"]
    list_select_related = ["user", "api_key"]


class TopUpRefundInline(admin.TabularInline):
    model = TopUpRefund
    extra = 0
    can_delete = False
    readonly_fields = [
        "refund_id",
        "amount_cents",
        "credits",
        "credits_debited",
        "shortfall",
        "created_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "user",
        "amount_shown",
        "credits",
        "status",
        "provider",
        "checkout_session_id",
        "payment_intent_id",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "provider", "created_at"]
    search_fields = ["id", "user__email", "checkout_session_id", "payment_intent_id", "charge_id"]
    list_select_related = ["user"]
    inlines = [TopUpRefundInline]
    actions = ["refund"]

    @admin.display(description="Amount", ordering="amount_cents")
    def amount_shown(self, top_up):
        return f"${top_up.amount_usd}"

    def has_refund_permission(self, request):
        return request.user.is_superuser or request.user.has_perm("billing.change_topup")

    @admin.action(
        description="Refund the selected top-ups (what is left of each)", permissions=["refund"]
    )
    def refund(self, request, queryset):
        for top_up in queryset.filter(
            status__in=[TopUpStatus.PAID, TopUpStatus.PARTIALLY_REFUNDED]
        ):
            try:
                refund_id = services.top_up_refund(top_up=top_up)
            except (services.TopUpRefused, PaymentError) as exc:
                messages.error(request, f"{top_up.id}: {exc}")
                continue
            top_up.refresh_from_db()
            if top_up.refunds.filter(refund_id=refund_id).exists():
                messages.success(request, f"{top_up.id}: refunded ({refund_id}); credits debited.")
            else:
                messages.success(
                    request,
                    f"{top_up.id}: refund {refund_id} requested; credits are debited when "
                    "the payment provider confirms it.",
                )
        skipped = queryset.exclude(status__in=[TopUpStatus.PAID, TopUpStatus.PARTIALLY_REFUNDED])
        for top_up in skipped:
            messages.warning(request, f"{top_up.id} is {top_up.status}: nothing to refund.")


@admin.register(TopUpRefund)
class TopUpRefundAdmin(ReadOnlyAdmin):
    list_display = [
        "refund_id",
        "top_up",
        "amount_cents",
        "credits_debited",
        "shortfall",
        "created_at",
    ]
    search_fields = ["refund_id", "top_up__id", "top_up__user__email"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "outcome", "received_at"]
    list_filter = ["type"]
    search_fields = ["event_id", "outcome"]


@admin.register(TopUpPack)
class TopUpPackAdmin(admin.ModelAdmin):
    list_display = ["__str__", "name", "amount_cents", "is_active", "sort_order"]
    list_editable = ["name", "amount_cents", "is_active", "sort_order"]
    list_display_links = ["__str__"]
