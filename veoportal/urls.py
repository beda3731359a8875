from django.contrib import admin
from django.urls import include, path

from veoportal import views
from veoportal.api import api

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("v1/", api.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("billing/", include("billing.urls")),
    path("", include("generations.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("studio/", include("studio.urls")),
    path("ops/", include("ops.urls")),
    path("admin/", admin.site.urls),
]
