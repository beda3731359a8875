"""Read-only views of deliveries for the operator (secrets are never shown here)."""

from django.contrib import admin

from webhooks.models import Delivery, DeliveryAttempt


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "status_code", "latency_ms", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "event_type", "user", "url", "status", "attempt_count", "created_at"]
    list_filter = ["status", "event__type"]
    search_fields = ["event__id", "event__generation__id", "event__user__email", "url"]
    readonly_fields = [
        "event",
        "url",
        "status",
        "attempt_count",
        "round_start",
        "next_attempt_at",
        "created_at",
        "completed_at",
    ]
    inlines = [DeliveryAttemptInline]
    list_select_related = ["event", "event__user"]

    @admin.display(description="type")
    def event_type(self, obj):
        return obj.event.type

    @admin.display(description="user")
    def user(self, obj):
        return obj.event.user

    def has_add_permission(self, request):
        return False
