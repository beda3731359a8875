"""manage.py grant_credits and check_ledger."""

import pytest
from django.core.management import CommandError, call_command

from billing import services
from billing.models import Account
from billing.selectors import balance_get


@pytest.mark.sqlite
def test_grant_credits_writes_a_ledger_entry_with_the_reason(alice, capsys):
    call_command("grant_credits", "ALICE@example.com", "750", "--reason", "Beta tester")

    assert balance_get(user=alice).available == 750
    entry = alice.ledger_entries.get()
    assert (entry.kind, entry.description) == ("grant", "Beta tester")
    assert "available now 750" in capsys.readouterr().out


@pytest.mark.sqlite
def test_grant_credits_with_a_reference_runs_once(alice):
    for _ in range(3):
        call_command("grant_credits", alice.email, "100", "--reason", "x", "--reference", "promo")
    assert balance_get(user=alice).available == 100


@pytest.mark.sqlite
def test_grant_credits_refuses_unknown_users_and_bad_amounts(alice):
    with pytest.raises(CommandError, match="No user"):
        call_command("grant_credits", "nobody@example.com", "10", "--reason", "x")
    with pytest.raises(CommandError):
        call_command("grant_credits", alice.email, "-10", "--reason", "x")
    assert balance_get(user=alice).available == 0


@pytest.mark.sqlite
def test_check_ledger_passes_on_a_consistent_ledger(alice, bob, capsys):
    services.credits_grant(user=alice, amount=500, reason="x")
    services.hold_place(user=alice, amount=100, reference="gen_ok")
    services.credits_grant(user=bob, amount=50, reason="x")

    call_command("check_ledger")

    assert "Ledger OK" in capsys.readouterr().out


@pytest.mark.sqlite
def test_check_ledger_exits_non_zero_naming_the_drifted_accounts(alice, bob, capsys):
    services.credits_grant(user=alice, amount=500, reason="x")
    services.credits_grant(user=bob, amount=50, reason="x")
    Account.objects.filter(user=bob).update(held=7)

    with pytest.raises(CommandError) as caught:
        call_command("check_ledger")

    assert "bob@example.com" in str(caught.value)
    assert "alice" not in str(caught.value)
    assert "held 7" in capsys.readouterr().err
