"""Seeded rows (plans, video models) for ops tests, whatever ran before them.

Tests on a real server use TransactionTestCase, whose teardown empties every table, including the
rows data migrations seeded; a later test would then find no plans and no models. `seeded_rows`
puts them back before any ops test that finds them gone.
"""

import importlib

import pytest
from django.apps import apps


def _reseed(module, model):
    if not model.objects.exists():
        importlib.import_module(module).seed(apps, None)


@pytest.fixture(autouse=True)
def seeded_rows(request):
    uses_db = {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in uses_db else "db")
    from generations.models import VideoModel
    from ops.models import Plan

    _reseed("ops.migrations.0002_seed_plans", Plan)
    _reseed("generations.migrations.0002_seed_models", VideoModel)
