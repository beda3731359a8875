"""Races on creation: duplicates with one Idempotency-Key make one generation and one hold, and
creates racing a settlement of the same account all answer (no deadlock reaches the caller)."""

import pytest

from billing.models import Hold
from generations import services
from generations.models import Generation
from generations.tests.conftest import run_concurrently


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_make_one_generation(funded):
    answers = []

    def create():
        generation = services.generation_create(
            user=funded, model="veo-3-fast", prompt="raced", duration=4, idempotency_key="race-1"
        )
        answers.append(generation.id)

    assert run_concurrently(*[create] * 4) == []
    assert len(answers) == 4 and len(set(answers)) == 1
    assert Generation.objects.count() == 1
    assert Hold.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_and_a_settlement_of_one_account_all_answer(funded, settings):
    settings.VIDEO_PROVIDER = "simulator"
    earlier = services.generation_create(user=funded, model="veo-3-fast", prompt="old", duration=4)

    def create():
        services.generation_create(user=funded, model="veo-3-fast", prompt="race", duration=4)

    def settle():
        services.generation_fail(generation_id=earlier.id, code="test", message="test")

    assert run_concurrently(create, create, create, settle) == []
    assert Generation.objects.get(pk=earlier.pk).status == "failed"
