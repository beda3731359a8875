from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.index, name="index"),
    path("top-ups/", views.top_up_start, name="top_up_start"),
    path("top-ups/<str:top_up_id>/", views.top_up_detail, name="top_up_detail"),
    path("top-ups/<str:top_up_id>/status.json", views.top_up_status, name="top_up_status"),
    path("sandbox/checkout/<str:top_up_id>/", views.sandbox_checkout, name="sandbox_checkout"),
    path("ledger.csv", views.ledger_csv, name="ledger_csv"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
