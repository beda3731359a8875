"""Admin for plans, and the admin site's title for the operator."""

from django.contrib import admin

from ops.models import Plan

admin.site.site_header = "veoportal operator"
admin.site.site_title = "veoportal operator"
admin.site.index_title = "Run the portal"


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "min_lifetime_topup_credits", "requests_per_minute", "max_in_flight"]
    list_editable = ["requests_per_minute", "max_in_flight"]
    ordering = ["min_lifetime_topup_credits"]
