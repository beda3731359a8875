"""The landing page and the health endpoints operators and load balancers probe."""

import logging

from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def landing(request):
    return render(request, "landing.html")


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker():
    from veoportal.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_storage():
    default_storage.exists("readyz-probe")


CHECKS = {"database": _check_database, "broker": _check_broker, "storage": _check_storage}


@never_cache
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; the log says which
            logger.warning("readyz: %s failed: %s", name, exc.__class__.__name__)
            results[name] = "unavailable"
    ready = all(value == "ok" for value in results.values())
    status = 200 if ready else 503
    body = {"status": "ok" if ready else "unavailable", "checks": results}
    return JsonResponse(body, status=status)
