"""Concurrent duplicates with one Idempotency-Key: one generation, one hold, one answer."""

import threading

import pytest
from django.db import connection

from billing.models import Hold
from generations import services
from generations.models import Generation


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_make_one_generation(funded):
    barrier = threading.Barrier(4)
    answers, errors = [], []

    def create():
        try:
            barrier.wait()
            generation = services.generation_create(
                user=funded,
                model="veo-3-fast",
                prompt="raced",
                duration=4,
                idempotency_key="race-1",
            )
            answers.append(generation.id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(answers)) == 1 and len(answers) == 4
    assert Generation.objects.count() == 1
    assert Hold.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_and_settlements_of_one_account_all_answer(funded, settings):
    """Creates racing each other and a settlement for one account: every one answers (a
    generation or a clean refusal such as the in-flight cap), never a database deadlock."""
    from veoportal.errors import ApiError

    settings.VIDEO_PROVIDER = "simulator"
    earlier = services.generation_create(user=funded, model="veo-3-fast", prompt="old", duration=4)
    barrier = threading.Barrier(4)
    errors = []

    def create(index):
        try:
            barrier.wait()
            services.generation_create(
                user=funded, model="veo-3-fast", prompt=f"race {index}", duration=4
            )
        except ApiError:
            pass  # a refusal in the error shape is an answer
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def settle():
        try:
            barrier.wait()
            services.generation_fail(generation_id=earlier.id, code="test", message="test")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(3)]
    threads.append(threading.Thread(target=settle))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
