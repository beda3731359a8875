"""The in-flight check's lock serializes one account's creates without blocking the account's
other writes (ledger entries, holds), which would deadlock the workers settling its generations."""

import threading
import time

from django.db import connection, transaction

from billing import services as billing
from generations.models import Generation, VideoModel
from ops import limits
from ops.models import Plan
from veoportal.errors import ApiError


def new_generation(user):
    return Generation(
        user=user,
        model=VideoModel.objects.get(slug="veo-3-fast"),
        prompt="x",
        duration=4,
        upstream_duration=4,
        aspect_ratio="16:9",
        cost=60,
    )


def test_admitting_a_generation_does_not_block_other_writes_for_the_account(
    transactional_db, alice
):
    billing.credits_grant(user=alice, amount=1000, reason="test credits")
    generation = new_generation(alice)
    admitted, release = threading.Event(), threading.Event()

    def creator():
        try:
            with transaction.atomic():
                generation.save(force_insert=True)
                limits.generation_admit(generation=generation)
                admitted.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=creator)
    thread.start()
    try:
        assert admitted.wait(10)
        started = time.monotonic()
        # A worker's ledger write for the same account, while the creator still holds its lock.
        billing.credits_grant(user=alice, amount=5, reason="meanwhile")
        assert time.monotonic() - started < 2
    finally:
        release.set()
        thread.join()


def test_two_creates_of_one_account_are_counted_one_after_the_other(transactional_db, alice):
    Plan.objects.filter(name="Free").update(max_in_flight=1)
    first_admitted, release, second_done = threading.Event(), threading.Event(), threading.Event()
    outcome = {}

    def create(name, hold_open):
        try:
            with transaction.atomic():
                generation = new_generation(alice)
                generation.save(force_insert=True)
                limits.generation_admit(generation=generation)
                if hold_open:
                    first_admitted.set()
                    release.wait(10)
            outcome[name] = "admitted"
        except ApiError as exc:
            outcome[name] = exc.code
        finally:
            connection.close()
            if not hold_open:
                second_done.set()

    first = threading.Thread(target=create, args=("first", True))
    first.start()
    assert first_admitted.wait(10)
    second = threading.Thread(target=create, args=("second", False))
    second.start()
    # The second waits for the first's lock instead of counting past its uncommitted row...
    assert not second_done.wait(1)
    release.set()
    first.join()
    second.join()
    # ...and then sees it: one slot, one admitted.
    assert outcome == {"first": "admitted", "second": "too_many_inflight"}
