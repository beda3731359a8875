"""Plans are data, and a user's plan rises with what they have bought (not what they were given)."""

import pytest

from billing import services as billing
from ops.models import Plan
from ops.selectors import plan_for_user


@pytest.mark.sqlite
def test_the_three_plans_are_seeded(db):
    assert [(p.name, p.min_lifetime_topup_credits) for p in Plan.objects.all()] == [
        ("Free", 0),
        ("Builder", 1000),
        ("Scale", 10000),
    ]


@pytest.mark.sqlite
def test_a_new_user_is_on_the_free_plan(alice):
    assert plan_for_user(user=alice).name == "Free"


@pytest.mark.sqlite
def test_the_plan_rises_with_lifetime_top_ups(alice):
    billing.credits_top_up(user=alice, amount=600, reference="t1", description="Top-up")
    assert plan_for_user(user=alice).name == "Free"
    billing.credits_top_up(user=alice, amount=400, reference="t2", description="Top-up")
    assert plan_for_user(user=alice).name == "Builder"
    billing.credits_top_up(user=alice, amount=9000, reference="t3", description="Top-up")
    assert plan_for_user(user=alice).name == "Scale"


@pytest.mark.sqlite
def test_granted_credits_do_not_raise_the_plan(alice):
    billing.credits_grant(user=alice, amount=50_000, reason="promotion")
    assert plan_for_user(user=alice).name == "Free"


@pytest.mark.sqlite
def test_spending_does_not_lower_the_plan(alice):
    billing.credits_top_up(user=alice, amount=1000, reference="t1", description="Top-up")
    billing.hold_place(user=alice, amount=900, reference="gen_x")
    billing.hold_capture(reference="gen_x")
    assert plan_for_user(user=alice).name == "Builder"


@pytest.mark.sqlite
def test_the_operator_edits_plans_as_data(alice):
    Plan.objects.filter(name="Free").update(requests_per_minute=7, max_in_flight=1)
    plan = plan_for_user(user=alice)
    assert (plan.requests_per_minute, plan.max_in_flight) == (7, 1)
    Plan.objects.create(
        name="Starter", min_lifetime_topup_credits=100, requests_per_minute=30, max_in_flight=3
    )
    billing.credits_top_up(user=alice, amount=150, reference="t1", description="Top-up")
    assert plan_for_user(user=alice).name == "Starter"
