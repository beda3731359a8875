from django.urls import re_path

from generations import views

app_name = "generations"

urlpatterns = [
    re_path(
        r"^media/(?P<generation_id>gen_[A-Za-z0-9]+)\.(?P<extension>mp4|jpg)$",
        views.media,
        name="media",
    ),
]
