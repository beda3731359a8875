"""A hypothesis state machine drives random sequences of ledger operations against a simple
model of the balance and checks, after every step, that the ledger and the balance agree."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from billing import services
from billing.models import Hold, HoldState, LedgerEntry
from billing.selectors import balance_get, ledger_mismatches

amounts = st.integers(min_value=1, max_value=500)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        from conftest import make_user

        LedgerEntry.objects.all().delete()
        Hold.objects.all().delete()
        from accounts.models import User

        User.objects.all().delete()
        self.user = make_user("machine@example.com")
        self.available = 0
        self.open_holds = {}
        self.settled = set()
        self.counter = 0

    def next_reference(self):
        self.counter += 1
        return f"gen_{self.counter}"

    @rule(amount=amounts)
    def grant(self, amount):
        services.credits_grant(user=self.user, amount=amount, reason="machine")
        self.available += amount

    @rule(amount=amounts)
    def hold(self, amount):
        reference = self.next_reference()
        if amount > self.available:
            with pytest.raises(services.InsufficientCredits):
                services.hold_place(user=self.user, amount=amount, reference=reference)
        else:
            services.hold_place(user=self.user, amount=amount, reference=reference)
            self.available -= amount
            self.open_holds[reference] = amount

    @precondition(lambda self: self.open_holds)
    @rule(data=st.data(), capture=st.booleans())
    def settle(self, data, capture):
        reference = data.draw(st.sampled_from(sorted(self.open_holds)))
        settle = services.hold_capture if capture else services.hold_release
        assert settle(reference=reference) is True
        amount = self.open_holds.pop(reference)
        if not capture:
            self.available += amount
        self.settled.add(reference)

    @precondition(lambda self: self.settled)
    @rule(data=st.data(), capture=st.booleans())
    def settle_again(self, data, capture):
        reference = data.draw(st.sampled_from(sorted(self.settled)))
        settle = services.hold_capture if capture else services.hold_release
        assert settle(reference=reference) is False

    @precondition(lambda self: self.open_holds)
    @rule(data=st.data())
    def hold_replayed(self, data):
        reference = data.draw(st.sampled_from(sorted(self.open_holds)))
        services.hold_place(user=self.user, amount=self.open_holds[reference], reference=reference)

    @rule(amount=amounts)
    def refund(self, amount):
        entry, shortfall = services.credits_refund(
            user=self.user,
            amount=amount,
            reference=f"refund:{self.next_reference()}",
            description="machine",
        )
        assert shortfall == max(0, amount - self.available)
        self.available -= min(amount, self.available)

    @rule(amount=st.integers(min_value=-500, max_value=500).filter(bool))
    def adjust(self, amount):
        if self.available + amount < 0:
            with pytest.raises(ValueError):
                services.credits_adjust(user=self.user, amount=amount, reason="machine")
        else:
            services.credits_adjust(user=self.user, amount=amount, reason="machine")
            self.available += amount

    @invariant()
    def balance_matches_the_model_and_the_ledger(self):
        balance = balance_get(user=self.user)
        assert balance.available == self.available
        assert balance.held == sum(self.open_holds.values())
        assert balance.available >= 0
        assert ledger_mismatches() == []
        assert Hold.objects.filter(state=HoldState.HELD).count() == len(self.open_holds)


@pytest.mark.sqlite
def test_the_ledger_keeps_its_invariants(db):
    LedgerMachine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    LedgerMachine.TestCase().runTest()
