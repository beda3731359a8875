"""The operator's view of generations (filters, upstream latency and failures, "fail and
release" for stuck ones) and of the models on sale (editable: prices, durations, upstream ids)."""

from django.contrib import admin, messages
from django.utils.html import format_html

from generations import services
from generations.models import Generation, VideoModel


@admin.register(VideoModel)
class VideoModelAdmin(admin.ModelAdmin):
    list_display = [
        "slug",
        "display_name",
        "upstream_model",
        "durations",
        "upstream_durations",
        "aspect_ratios",
        "resolution",
        "price_per_second",
        "is_active",
        "sort_order",
    ]
    list_editable = ["price_per_second", "is_active", "sort_order"]
    list_filter = ["is_active", "resolution"]
    search_fields = ["slug", "display_name", "upstream_model"]

    def has_delete_permission(self, request, obj=None):
        # Generations refer to their model; retire a model with is_active instead.
        return False


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "model",
        "status",
        "duration",
        "cost",
        "provider",
        "latency",
        "error_code",
        "created_at",
    ]
    list_filter = ["status", "model", "provider", "error_code", "created_at"]
    search_fields = ["id", "user__email", "prompt", "operation_name"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "model"]
    actions = ["fail_and_release"]
    ordering = ["-created_at"]
    readonly_fields = ["video_link"]
    fieldsets = [
        (None, {"fields": ["id", "user", "api_key", "model", "status", "progress", "cost"]}),
        (
            "Request",
            {
                "fields": [
                    "prompt",
                    "negative_prompt",
                    "duration",
                    "upstream_duration",
                    "aspect_ratio",
                    "resolution",
                    "image_url",
                    "image",
                    "webhook_url",
                ]
            },
        ),
        (
            "Upstream",
            {
                "fields": [
                    "provider",
                    "operation_name",
                    "credential_id",
                    "attempts",
                    "upstream_latency_ms",
                    "error_code",
                    "error_message",
                ]
            },
        ),
        ("Result", {"fields": ["video_link", "video", "poster"]}),
        (
            "Times",
            {
                "fields": [
                    "created_at",
                    "submitted_at",
                    "started_at",
                    "completed_at",
                    "next_poll_at",
                ]
            },
        ),
        ("Idempotency", {"fields": ["idempotency_key", "idempotency_hash"]}),
    ]

    def has_add_permission(self, request):
        return False  # generations are made through the API, which holds their price

    def has_change_permission(self, request, obj=None):
        # View only: state moves through services (the action below), never by edits.
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the ledger refers to it

    @admin.display(description="Upstream latency", ordering="upstream_latency_ms")
    def latency(self, generation):
        if generation.upstream_latency_ms is None:
            return "—"
        return f"{generation.upstream_latency_ms / 1000:.1f} s"

    @admin.display(description="Video")
    def video_link(self, generation):
        from generations import storage

        url = storage.signed_url(generation.id, "video", generation.video.name)
        return format_html('<a href="{}">open the MP4</a>', url) if url else "—"

    @admin.action(description="Fail and release credits (stuck generations)")
    def fail_and_release(self, request, queryset):
        failed = sum(
            services.generation_fail_by_operator(generation_id=pk)
            for pk in queryset.values_list("pk", flat=True)
        )
        skipped = queryset.count() - failed
        self.message_user(
            request,
            f"Failed {failed} generation(s) and released their credits."
            + (f" {skipped} were already finished and were left alone." if skipped else ""),
            messages.SUCCESS if failed else messages.WARNING,
        )
