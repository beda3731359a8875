from django.urls import path

from ops import views

urlpatterns = [
    path("", views.dashboard, name="ops-dashboard"),
    path("export.csv", views.export_csv, name="ops-export"),
]
