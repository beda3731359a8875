"""Reads of the credit ledger: balances, history, key spend, and the ledger's invariants."""

from dataclasses import dataclass

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from billing.models import (
    Account,
    EntryKind,
    Hold,
    HoldState,
    LedgerEntry,
    TopUp,
    TopUpPack,
    TopUpStatus,
)


@dataclass(frozen=True)
class Balance:
    available: int
    held: int


def balance_get(*, user) -> Balance:
    account = Account.objects.filter(user=user).values("available", "held").first()
    if account is None:
        return Balance(available=0, held=0)
    return Balance(available=account["available"], held=account["held"])


def ledger_entries(*, user):
    """The user's ledger, newest first."""
    return LedgerEntry.objects.filter(user=user).order_by("-created_at", "-id")


def top_ups(*, user):
    return TopUp.objects.filter(user=user).order_by("-created_at")


def top_up_packs():
    return TopUpPack.objects.filter(is_active=True).order_by("sort_order", "amount_cents")


def key_spent(*, api_key) -> int:
    """Credits a key has committed: captured plus still held (a spend cap counts both, so
    in-flight work can't overshoot it), including what the keys it replaced by rotation spent."""
    from accounts.selectors import api_key_lineage

    return Hold.objects.filter(
        api_key_id__in=api_key_lineage(api_key=api_key),
        state__in=[HoldState.HELD, HoldState.CAPTURED],
    ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]


def lifetime_top_up_credits(*, user) -> int:
    """Credits the user has ever bought (grants excluded, spending not subtracted): what plans
    rise with."""
    return LedgerEntry.objects.filter(user=user, kind=EntryKind.TOP_UP).aggregate(
        total=Coalesce(Sum("amount"), 0)
    )["total"]


def lifetime_top_ups_cents(*, user) -> int:
    """Dollars (in cents) the user has paid and kept, for plans that rise with top-ups."""
    paid = TopUp.objects.filter(
        user=user,
        status__in=[TopUpStatus.PAID, TopUpStatus.PARTIALLY_REFUNDED, TopUpStatus.REFUNDED],
    ).aggregate(
        paid=Coalesce(Sum("amount_cents"), 0),
        refunded=Coalesce(Sum("refunded_cents"), 0),
    )
    return paid["paid"] - paid["refunded"]


@dataclass(frozen=True)
class Mismatch:
    user_id: int
    email: str
    problem: str


def ledger_mismatches() -> list[Mismatch]:
    """Every account whose balance row disagrees with its ledger or its open holds.

    Invariants: available = Σ delta_available ≥ 0 and held = Σ delta_held = Σ open holds ≥ 0."""
    sums = {
        row["user_id"]: row
        for row in LedgerEntry.objects.values("user_id").annotate(
            available=Sum("delta_available"), held=Sum("delta_held")
        )
    }
    open_holds = {
        row["user_id"]: row["total"]
        for row in Hold.objects.filter(state=HoldState.HELD)
        .values("user_id")
        .annotate(total=Sum("amount"))
    }
    accounts = {
        a.user_id: a for a in Account.objects.select_related("user").filter(~Q(user_id=None))
    }
    problems = []
    for user_id in sorted(set(sums) | set(open_holds) | set(accounts)):
        account = accounts.get(user_id)
        entry_sums = sums.get(user_id, {"available": 0, "held": 0})
        available = account.available if account else 0
        held = account.held if account else 0
        email = str(account.user) if account else f"user {user_id}"
        if available != entry_sums["available"]:
            problems.append(
                Mismatch(
                    user_id,
                    email,
                    f"available {available} but the ledger sums to {entry_sums['available']}",
                )
            )
        if held != entry_sums["held"]:
            problems.append(
                Mismatch(user_id, email, f"held {held} but the ledger sums to {entry_sums['held']}")
            )
        if held != open_holds.get(user_id, 0):
            problems.append(
                Mismatch(
                    user_id, email, f"held {held} but open holds total {open_holds.get(user_id, 0)}"
                )
            )
        if available < 0 or held < 0:
            problems.append(Mismatch(user_id, email, "negative balance"))
    return problems
