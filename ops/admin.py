"""Admin for plans, and the admin site arranged for the operator: titled, and its apps listed in
the order the work goes (people, money, videos, deliveries, limits) rather than alphabetically."""

from types import MethodType

from django.contrib import admin
from django.contrib.admin import AdminSite

from ops.models import Plan

admin.site.site_header = "veoportal operator"
admin.site.site_title = "veoportal operator"
admin.site.index_title = "Run the portal"

APP_ORDER = ["accounts", "billing", "generations", "webhooks", "studio", "ops"]
# allauth's app is also called "Accounts"; beside ours that reads as a duplicate.
APP_NAMES = {"account": "Sign-in emails"}
MODEL_ORDER = {
    "accounts": ["User", "ApiKey"],
    "billing": ["LedgerEntry", "Account", "TopUp", "TopUpRefund", "TopUpPack", "Hold"],
    "generations": ["Generation", "VideoModel"],
}


def _position(order, name):
    return order.index(name) if name in order else len(order)


def ordered_app_list(self, request, app_label=None):
    apps = AdminSite.get_app_list(self, request, app_label)
    apps.sort(key=lambda app: (_position(APP_ORDER, app["app_label"]), app["name"]))
    for app in apps:
        app["name"] = APP_NAMES.get(app["app_label"], app["name"])
        order = MODEL_ORDER.get(app["app_label"], [])
        app["models"].sort(key=lambda m: (_position(order, m["object_name"]), m["name"]))
    return apps


admin.site.get_app_list = MethodType(ordered_app_list, admin.site)


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "min_lifetime_topup_credits", "requests_per_minute", "max_in_flight"]
    list_editable = ["requests_per_minute", "max_in_flight"]
    ordering = ["min_lifetime_topup_credits"]
