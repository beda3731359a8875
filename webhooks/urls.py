from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.index, name="index"),
    path("deliveries/", views.index, name="deliveries"),
    path("rotate/", views.rotate, name="rotate"),
    path("deliveries/<int:pk>/", views.delivery, name="delivery"),
    path("deliveries/<int:pk>/resend/", views.resend, name="resend"),
]
