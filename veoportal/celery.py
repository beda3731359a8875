"""The Celery app: tasks live in each Django app's tasks.py and are found automatically."""

import os

from celery import Celery

from veoportal import broker  # noqa: F401  (makes filesystem:// write messages atomically)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veoportal.settings")

app = Celery("veoportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
