"""Operational tasks of the project itself."""

import socket

from celery import shared_task
from django.core.cache import cache


@shared_task
def ping(token):
    """Proves a worker is consuming the broker: `manage.py ping_worker` waits for the answer."""
    cache.set(f"ping:{token}", socket.gethostname(), timeout=300)
