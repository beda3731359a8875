"""The only way credits move: holds, captures, releases, grants, top-ups, refunds, adjustments.

Every function writes one append-only ledger entry and updates the user's balance row in the same
transaction, with the balance row locked (select_for_update on PostgreSQL; on SQLite every atomic
block starts IMMEDIATE, which serializes writers). References are unique, so retries are no-ops.
"""

import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Account, EntryKind, Hold, HoldState, LedgerEntry
from veoportal.errors import ApiError


class InsufficientCredits(ApiError):
    status = 402
    code = "insufficient_quota"

    def __init__(self, *, needed: int, available: int):
        self.needed = needed
        self.available = available
        super().__init__(
            f"This generation costs {needed} credits but only {available} are available. "
            f"Top up at {settings.SITE_URL}/billing/.",
            type="insufficient_quota",
        )


def _account_locked(user_id) -> Account:
    """The user's balance row, created on first use, locked until the transaction ends."""
    if not Account.objects.filter(user_id=user_id).exists():
        try:
            with transaction.atomic():
                Account.objects.create(user_id=user_id)
        except IntegrityError:
            pass  # another request created it first
    return Account.objects.select_for_update().get(user_id=user_id)


def _entry_write(
    *, account, kind, amount, delta_available, delta_held=0, reference, description=""
):
    account.available += delta_available
    account.held += delta_held
    if account.available < 0 or account.held < 0:
        # Callers check first; this is the last line before the database constraint.
        raise InsufficientCredits(needed=amount, available=account.available - delta_available)
    account.save(update_fields=["available", "held", "updated_at"])
    return LedgerEntry.objects.create(
        user_id=account.user_id,
        kind=kind,
        amount=amount,
        delta_available=delta_available,
        delta_held=delta_held,
        available_after=account.available,
        held_after=account.held,
        reference=reference,
        description=description[:500],
    )


def hold_place(*, user, amount: int, reference: str, api_key=None, description: str = "") -> Hold:
    """Reserve `amount` credits for the work named by `reference`, or raise InsufficientCredits.

    Idempotent: placing a hold whose reference exists returns the existing hold."""
    if amount <= 0:
        raise ValueError("A hold must be for a positive number of credits.")
    with transaction.atomic():
        account = _account_locked(user.pk)
        # Read after taking the lock, so a concurrent placement of the same reference is seen.
        existing = Hold.objects.filter(reference=reference).first()
        if existing is not None:
            return existing
        if account.available < amount:
            raise InsufficientCredits(needed=amount, available=account.available)
        hold = Hold.objects.create(
            user=user, api_key=api_key, reference=reference, amount=amount, description=description
        )
        _entry_write(
            account=account,
            kind=EntryKind.HOLD,
            amount=amount,
            delta_available=-amount,
            delta_held=amount,
            reference=f"hold:{reference}",
            description=description,
        )
        return hold


def _hold_settle(*, reference: str, state: str) -> bool:
    hold = Hold.objects.filter(reference=reference).only("user_id").first()
    if hold is None:
        return False
    with transaction.atomic():
        account = _account_locked(hold.user_id)
        # The conditional UPDATE is what makes settling exactly-once: only one caller's update
        # finds the hold still "held"; every other caller (retry, race) sees a row count of 0.
        settled = Hold.objects.filter(pk=hold.pk, state=HoldState.HELD).update(
            state=state, settled_at=timezone.now()
        )
        if not settled:
            return False
        hold.refresh_from_db()
        released = state == HoldState.RELEASED
        _entry_write(
            account=account,
            kind=EntryKind.RELEASE if released else EntryKind.CAPTURE,
            amount=hold.amount,
            delta_available=hold.amount if released else 0,
            delta_held=-hold.amount,
            reference=f"{state}:{reference}",
            description=hold.description,
        )
        return True


def hold_capture(*, reference: str) -> bool:
    """Spend the held credits. True only for the one call that settled the hold."""
    return _hold_settle(reference=reference, state=HoldState.CAPTURED)


def hold_release(*, reference: str) -> bool:
    """Return the held credits to available. True only for the one call that settled the hold."""
    return _hold_settle(reference=reference, state=HoldState.RELEASED)


def _credit(*, user, kind, amount, reference, description) -> LedgerEntry:
    if amount <= 0:
        raise ValueError("The amount must be a positive number of credits.")
    with transaction.atomic():
        account = _account_locked(user.pk)
        existing = LedgerEntry.objects.filter(reference=reference).first()
        if existing is not None:
            return existing
        return _entry_write(
            account=account,
            kind=kind,
            amount=amount,
            delta_available=amount,
            reference=reference,
            description=description,
        )


def credits_grant(*, user, amount: int, reason: str, reference: str | None = None) -> LedgerEntry:
    """Give credits for free (operator grants, promotions). Idempotent on `reference`."""
    if not reason.strip():
        raise ValueError("A grant needs a reason.")
    reference = f"grant:{reference or uuid.uuid4().hex}"
    return _credit(
        user=user, kind=EntryKind.GRANT, amount=amount, reference=reference, description=reason
    )


def credits_top_up(*, user, amount: int, reference: str, description: str) -> LedgerEntry:
    """Credit a paid purchase. Called by the fulfilment of top-ups only."""
    return _credit(
        user=user,
        kind=EntryKind.TOP_UP,
        amount=amount,
        reference=reference,
        description=description,
    )


def credits_refund(
    *, user, amount: int, reference: str, description: str
) -> tuple[LedgerEntry | None, int]:
    """Debit refunded credits, never below zero. Returns (entry or None, shortfall): the shortfall
    is what could not be debited because it was already spent or held."""
    if amount <= 0:
        raise ValueError("The amount must be a positive number of credits.")
    with transaction.atomic():
        account = _account_locked(user.pk)
        existing = LedgerEntry.objects.filter(reference=reference).first()
        if existing is not None:
            return existing, 0
        debit = min(amount, account.available)
        shortfall = amount - debit
        if shortfall:
            description = f"{description} (shortfall of {shortfall} credits already spent)"
        entry = _entry_write(
            account=account,
            kind=EntryKind.REFUND,
            amount=debit,
            delta_available=-debit,
            reference=reference,
            description=description,
        )
        return entry, shortfall


def credits_adjust(*, user, amount: int, reason: str, reference: str | None = None) -> LedgerEntry:
    """An operator's correction: `amount` credits added (positive) or removed (negative).

    Removing more than is available raises InsufficientCredits; the ledger is never edited."""
    if amount == 0:
        raise ValueError("An adjustment must change the balance.")
    if not reason.strip():
        raise ValueError("An adjustment needs a reason.")
    reference = f"adjustment:{reference or uuid.uuid4().hex}"
    with transaction.atomic():
        account = _account_locked(user.pk)
        existing = LedgerEntry.objects.filter(reference=reference).first()
        if existing is not None:
            return existing
        if account.available + amount < 0:
            raise ValueError(
                f"Only {account.available} credits are available; the balance can't go below zero."
            )
        return _entry_write(
            account=account,
            kind=EntryKind.ADJUSTMENT,
            amount=abs(amount),
            delta_available=amount,
            reference=reference,
            description=reason,
        )
