"""Operator views of users (email is the login; balances come from the billing ledger) and of
API keys (read-only: the prefix identifies a key, the hash is never shown)."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils import timezone

from accounts import services
from accounts.models import ApiKey, User
from billing import selectors as billing_selectors


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreateForm
    form = UserEditForm
    ordering = ["-date_joined"]
    list_display = ["email", "credits", "is_active", "is_staff", "date_joined", "last_login"]
    list_per_page = 50  # the credits column reads each user's balance
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = [
        "credits_available",
        "credits_held",
        "lifetime_top_ups",
        "last_login",
        "date_joined",
    ]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Credits", {"fields": ["credits_available", "credits_held", "lifetime_top_ups"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "usable_password", "password1", "password2"]},
        )
    ]

    @admin.display(description="Credits available (held)")
    def credits(self, user):
        balance = billing_selectors.balance_get(user=user)
        return f"{balance.available:,} ({balance.held:,})"

    @admin.display(description="Available credits")
    def credits_available(self, user):
        return billing_selectors.balance_get(user=user).available if user.pk else 0

    @admin.display(description="Held credits")
    def credits_held(self, user):
        return billing_selectors.balance_get(user=user).held if user.pk else 0

    @admin.display(description="Lifetime top-ups")
    def lifetime_top_ups(self, user):
        cents = billing_selectors.lifetime_top_ups_cents(user=user) if user.pk else 0
        return f"${cents / 100:,.2f}"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix_shown", "name", "user", "state_shown", "created_at", "last_used_at"]
    list_filter = ["created_at", "revoked_at"]
    search_fields = ["prefix", "name", "user__email"]
    list_select_related = ["user"]
    # `hashed_key` is deliberately absent everywhere: a hash is as good as a key to a brute-forcer
    # with a leaked prefix, and nobody needs to see it.
    fields = [
        "prefix_shown",
        "name",
        "user",
        "state_shown",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "rotated_to",
        "rpm_limit",
        "spend_cap",
    ]
    readonly_fields = fields
    actions = ["revoke_keys"]

    @admin.display(description="Key", ordering="prefix")
    def prefix_shown(self, api_key):
        return f"{api_key.prefix}…"

    @admin.display(description="State")
    def state_shown(self, api_key):
        return api_key.state()

    def has_add_permission(self, request):
        return False  # keys are created by their owner, or with `manage.py create_api_key`

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected keys now")
    def revoke_keys(self, request, queryset):
        now = timezone.now()
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key, now=now)
        messages.success(request, f"Revoked {queryset.count()} key(s).")
