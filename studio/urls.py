from django.urls import path

from studio import views

app_name = "studio"

urlpatterns = [
    path("", views.studio, name="studio"),
    path("feed/", views.feed, name="feed"),
    path("feed/<str:generation_id>/", views.feed_card, name="feed_card"),
    path("webhooks/", views.receiver, name="receiver"),
]
