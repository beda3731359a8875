from django.urls import path

from accounts import views

urlpatterns = [
    path("keys/", views.keys, name="keys"),
    path("keys/<int:key_id>/rotate/", views.rotate, name="key_rotate"),
    path("keys/<int:key_id>/revoke/", views.revoke, name="key_revoke"),
]
