"""The ledger services: holds, captures, releases, grants, adjustments and their invariants."""

import pytest

from billing import services
from billing.models import EntryKind, Hold, LedgerEntry
from billing.selectors import balance_get, ledger_mismatches


def grant(user, amount):
    return services.credits_grant(user=user, amount=amount, reason="test grant")


@pytest.mark.sqlite
def test_a_new_user_has_a_zero_balance(alice):
    balance = balance_get(user=alice)
    assert (balance.available, balance.held) == (0, 0)


@pytest.mark.sqlite
def test_a_grant_raises_the_available_balance(alice):
    entry = grant(alice, 700)
    assert entry.kind == EntryKind.GRANT
    assert balance_get(user=alice).available == 700
    assert ledger_mismatches() == []


@pytest.mark.sqlite
def test_a_grant_with_the_same_reference_counts_once(alice):
    first = services.credits_grant(user=alice, amount=100, reason="promo", reference="promo-1")
    again = services.credits_grant(user=alice, amount=100, reason="promo", reference="promo-1")
    assert first.pk == again.pk
    assert balance_get(user=alice).available == 100


@pytest.mark.sqlite
def test_a_hold_moves_credits_from_available_to_held(alice):
    grant(alice, 1000)
    hold = services.hold_place(user=alice, amount=400, reference="gen_1", description="veo-3 8s")
    assert hold.state == "held"
    balance = balance_get(user=alice)
    assert (balance.available, balance.held) == (600, 400)
    assert ledger_mismatches() == []


@pytest.mark.sqlite
def test_placing_the_same_hold_twice_holds_once(alice):
    grant(alice, 1000)
    first = services.hold_place(user=alice, amount=400, reference="gen_1")
    again = services.hold_place(user=alice, amount=400, reference="gen_1")
    assert first.pk == again.pk
    assert balance_get(user=alice).available == 600
    assert Hold.objects.count() == 1


@pytest.mark.sqlite
def test_it_refuses_a_hold_the_balance_cannot_cover(alice, settings):
    settings.SITE_URL = "https://veo.example"
    grant(alice, 120)
    with pytest.raises(services.InsufficientCredits) as caught:
        services.hold_place(user=alice, amount=500, reference="gen_big")
    error = caught.value
    assert (error.status, error.type, error.code) == (
        402,
        "insufficient_quota",
        "insufficient_quota",
    )
    assert error.message == (
        "This generation costs 500 credits but only 120 are available. "
        "Top up at https://veo.example/billing/."
    )
    assert balance_get(user=alice).available == 120
    assert not Hold.objects.exists()


@pytest.mark.sqlite
def test_a_hold_inside_the_callers_transaction_rolls_back_with_it(alice):
    from django.db import transaction

    grant(alice, 500)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.hold_place(user=alice, amount=300, reference="gen_rollback")
        raise RuntimeError("the caller failed after holding")
    assert balance_get(user=alice).available == 500
    assert not Hold.objects.exists()


@pytest.mark.sqlite
def test_capture_spends_the_held_credits_once(alice):
    grant(alice, 1000)
    services.hold_place(user=alice, amount=400, reference="gen_1")
    assert services.hold_capture(reference="gen_1") is True
    assert services.hold_capture(reference="gen_1") is False
    assert services.hold_release(reference="gen_1") is False
    balance = balance_get(user=alice)
    assert (balance.available, balance.held) == (600, 0)
    assert Hold.objects.get().state == "captured"
    assert ledger_mismatches() == []


@pytest.mark.sqlite
def test_release_returns_the_held_credits_once(alice):
    grant(alice, 1000)
    services.hold_place(user=alice, amount=400, reference="gen_1")
    assert services.hold_release(reference="gen_1") is True
    assert services.hold_release(reference="gen_1") is False
    assert services.hold_capture(reference="gen_1") is False
    balance = balance_get(user=alice)
    assert (balance.available, balance.held) == (1000, 0)
    kinds = list(LedgerEntry.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["grant", "hold", "release"]


@pytest.mark.sqlite
def test_settling_an_unknown_hold_does_nothing(alice):
    assert services.hold_capture(reference="gen_nope") is False
    assert services.hold_release(reference="gen_nope") is False


@pytest.mark.sqlite
def test_a_refund_never_takes_the_balance_below_zero(alice):
    grant(alice, 300)
    entry, shortfall = services.credits_refund(
        user=alice, amount=500, reference="refund:re_1", description="refund"
    )
    assert (entry.amount, shortfall) == (300, 200)
    assert balance_get(user=alice).available == 0
    again, _ = services.credits_refund(
        user=alice, amount=500, reference="refund:re_1", description="refund"
    )
    assert again.pk == entry.pk
    assert ledger_mismatches() == []


@pytest.mark.sqlite
def test_an_adjustment_can_remove_credits_but_not_below_zero(alice):
    grant(alice, 300)
    services.credits_adjust(user=alice, amount=-100, reason="duplicate grant")
    assert balance_get(user=alice).available == 200
    with pytest.raises(ValueError):
        services.credits_adjust(user=alice, amount=-201, reason="too much")
    assert balance_get(user=alice).available == 200
    assert ledger_mismatches() == []


@pytest.mark.sqlite
def test_check_finds_a_balance_that_drifted_from_its_ledger(alice, bob):
    from billing.models import Account

    grant(alice, 300)
    grant(bob, 300)
    Account.objects.filter(user=bob).update(available=999)
    mismatches = ledger_mismatches()
    assert [m.email for m in mismatches] == ["bob@example.com"]
    assert "available 999" in mismatches[0].problem


@pytest.mark.sqlite
def test_a_free_generation_holds_and_settles_zero_credits(alice):
    hold = services.hold_place(user=alice, amount=0, reference="gen_free")
    assert hold.state == "held"
    assert services.hold_capture(reference="gen_free") is True
    assert services.hold_capture(reference="gen_free") is False
    balance = balance_get(user=alice)
    assert (balance.available, balance.held) == (0, 0)
    assert ledger_mismatches() == []


@pytest.mark.sqlite
def test_a_hold_reference_cannot_be_reused_for_another_user(alice, bob):
    grant(alice, 100)
    grant(bob, 100)
    services.hold_place(user=alice, amount=50, reference="gen_shared")
    with pytest.raises(ValueError):
        services.hold_place(user=bob, amount=50, reference="gen_shared")
    assert balance_get(user=bob).available == 100
