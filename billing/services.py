"""The only way credits move: holds, captures, releases, grants, top-ups, refunds, adjustments.

Every function writes one append-only ledger entry and updates the user's balance row in the same
transaction, with the balance row locked (select_for_update on PostgreSQL; on SQLite every atomic
block starts IMMEDIATE, which serializes writers). References are unique, so retries are no-ops.
"""

import logging
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import (
    Account,
    EntryKind,
    Hold,
    HoldState,
    LedgerEntry,
    StripeEvent,
    TopUp,
    TopUpPack,
    TopUpRefund,
    TopUpStatus,
)
from billing.providers import get_provider
from veoportal.errors import ApiError

logger = logging.getLogger(__name__)


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
    account = Account.objects.select_for_update().filter(user_id=user_id).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            Account.objects.create(user_id=user_id)
    except IntegrityError:
        pass  # another request created it first
    return Account.objects.select_for_update().get(user_id=user_id)


def _account_locked_for(*, user, reference) -> tuple[Account, LedgerEntry | None]:
    """The locked balance row, and the entry already written under `reference` if any (read
    after taking the lock, so a concurrent writer of the same reference is seen)."""
    account = _account_locked(user.pk)
    return account, LedgerEntry.objects.filter(reference=reference).first()


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

    Idempotent: placing a hold whose reference exists returns the existing hold. A hold of 0
    (a free model) is recorded like any other, so capture and release stay uniform."""
    if amount < 0:
        raise ValueError("A hold can't be for a negative number of credits.")
    with transaction.atomic():
        account = _account_locked(user.pk)
        # Read after taking the lock, so a concurrent placement of the same reference is seen.
        existing = Hold.objects.filter(reference=reference).first()
        if existing is not None:
            if existing.user_id != user.pk:
                raise ValueError(f"Hold {reference} belongs to another user.")
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
    hold = Hold.objects.filter(reference=reference).first()
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
        account, existing = _account_locked_for(user=user, reference=reference)
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
        account, existing = _account_locked_for(user=user, reference=reference)
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
        account, existing = _account_locked_for(user=user, reference=reference)
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


# Top-ups: buying credits through a payment provider.


def credits_for_cents(cents: int) -> int:
    """How many credits `cents` US cents buy at CREDIT_VALUE_USD (rounded down)."""
    return int(Decimal(cents) / 100 / Decimal(settings.CREDIT_VALUE_USD))


class TopUpRefused(Exception):
    """A top-up request or refund the rules don't allow; the message is shown to people."""


def top_up_create(*, user, amount_cents: int, pack: TopUpPack | None = None) -> TopUp:
    """A pending purchase of credits with the active provider, priced now and never re-priced."""
    if pack is not None:
        amount_cents = pack.amount_cents
    elif not settings.TOP_UP_MIN_CENTS <= amount_cents <= settings.TOP_UP_MAX_CENTS:
        raise TopUpRefused(
            f"Choose an amount between ${settings.TOP_UP_MIN_CENTS / 100:,.2f} "
            f"and ${settings.TOP_UP_MAX_CENTS / 100:,.2f}."
        )
    credits = credits_for_cents(amount_cents)
    if credits <= 0:
        raise TopUpRefused("That amount buys no credits.")
    return TopUp.objects.create(
        user=user,
        provider=get_provider().identifier,
        pack=pack,
        amount_cents=amount_cents,
        credits=credits,
    )


def top_up_checkout(*, top_up: TopUp) -> str:
    """The URL where the person pays for `top_up` (raises PaymentError when the gateway fails)."""
    return get_provider(top_up.provider).checkout_create(top_up)


def top_up_fulfil(
    *,
    top_up_id: str,
    amount_cents: int,
    currency: str,
    payment_intent_id: str | None = None,
    charge_id: str | None = None,
) -> str:
    """Mark a pending top-up paid and credit it, once. Returns what happened, for the logs.

    The return page and the webhook may race: the row lock plus the status check make the second
    caller a no-op, and the ledger's unique reference would refuse a second credit anyway."""
    with transaction.atomic():
        top_up = TopUp.objects.select_for_update().filter(pk=top_up_id).first()
        if top_up is None:
            return "refused: unknown top-up"
        # A canceled top-up is still credited if money arrives for it after all: the provider
        # has the customer's money, so they get the credits.
        if top_up.status not in (TopUpStatus.PENDING, TopUpStatus.CANCELED):
            return f"already {top_up.status}"
        if amount_cents != top_up.amount_cents or currency.lower() != top_up.currency:
            return (
                f"refused: paid {amount_cents} {currency} but the top-up costs "
                f"{top_up.amount_cents} {top_up.currency}"
            )
        top_up.status = TopUpStatus.PAID
        top_up.paid_at = timezone.now()
        top_up.payment_intent_id = payment_intent_id or None
        top_up.charge_id = charge_id or None
        top_up.save(update_fields=["status", "paid_at", "payment_intent_id", "charge_id"])
        credits_top_up(
            user=top_up.user,
            amount=top_up.credits,
            reference=f"top_up:{top_up.id}",
            description=f"Top-up ${top_up.amount_usd} ({top_up.provider})",
        )
        return "credited"


def top_up_cancel(*, top_up_id: str) -> bool:
    """A pending top-up the person abandoned or whose payment failed."""
    return bool(
        TopUp.objects.filter(pk=top_up_id, status=TopUpStatus.PENDING).update(
            status=TopUpStatus.CANCELED
        )
    )


def top_up_refund(*, top_up: TopUp, amount_cents: int | None = None) -> str:
    """Ask the top-up's provider to refund it (all that is left by default); returns the refund id.

    Credits are debited when the provider confirms, through top_up_refund_record."""
    top_up = TopUp.objects.get(pk=top_up.pk)  # what the database says now, not a stale copy
    refundable = top_up.amount_cents - top_up.refunded_cents
    if top_up.status not in (TopUpStatus.PAID, TopUpStatus.PARTIALLY_REFUNDED) or refundable <= 0:
        raise TopUpRefused(f"Top-up {top_up.id} is {top_up.status}: nothing to refund.")
    amount_cents = refundable if amount_cents is None else amount_cents
    if not 0 < amount_cents <= refundable:
        raise TopUpRefused(f"At most ${refundable / 100:,.2f} of {top_up.id} can be refunded.")
    return get_provider(top_up.provider).refund(top_up, amount_cents)


def top_up_refund_record(
    *, top_up_id: str, refund_id: str, amount_cents: int
) -> TopUpRefund | None:
    """Debit the credits a confirmed refund takes back, once per refund id, never below zero.

    Credits are taken in proportion to the money, computed on the running total so that refunding
    everything in parts takes exactly the credits that were bought."""
    with transaction.atomic():
        top_up = TopUp.objects.select_for_update().get(pk=top_up_id)
        existing = TopUpRefund.objects.filter(refund_id=refund_id).first()
        if existing is not None:
            return existing
        amount_cents = min(amount_cents, top_up.amount_cents - top_up.refunded_cents)
        if amount_cents <= 0:
            return None
        before = top_up.credits * top_up.refunded_cents // top_up.amount_cents
        after = top_up.credits * (top_up.refunded_cents + amount_cents) // top_up.amount_cents
        credits = after - before
        debited, shortfall = 0, 0
        if credits > 0:
            entry, shortfall = credits_refund(
                user=top_up.user,
                amount=credits,
                reference=f"refund:{refund_id}",
                description=f"Refund of ${amount_cents / 100:,.2f} of top-up {top_up.id}",
            )
            debited = entry.amount
        top_up.refunded_cents += amount_cents
        top_up.status = (
            TopUpStatus.REFUNDED
            if top_up.refunded_cents >= top_up.amount_cents
            else TopUpStatus.PARTIALLY_REFUNDED
        )
        top_up.save(update_fields=["refunded_cents", "status"])
        return TopUpRefund.objects.create(
            refund_id=refund_id,
            top_up=top_up,
            amount_cents=amount_cents,
            credits=credits,
            credits_debited=debited,
            shortfall=shortfall,
        )


# Stripe's webhook events.


def stripe_event_handle(*, event: dict) -> str:
    """Apply one verified Stripe event, at most once per event id. Returns the outcome.

    Runs in one transaction with the event's row, so a failure leaves no trace and Stripe's retry
    starts afresh; a replay finds the row and changes nothing."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(
                    event_id=event["id"], type=event.get("type", "")
                )
        except IntegrityError:
            return "duplicate event"
        handler = _STRIPE_HANDLERS.get(record.type)
        obj = (event.get("data") or {}).get("object") or {}
        outcome = handler(obj) if handler else "ignored"
        record.outcome = outcome[:200]
        record.save(update_fields=["outcome"])
        if outcome.startswith("refused"):
            logger.warning("stripe event %s (%s) %s", record.event_id, record.type, outcome)
        return outcome


def _session_top_up(session: dict) -> tuple[TopUp | None, str]:
    """The pending purchase a Checkout Session pays for, or None and why it is not ours to credit.

    The session must be one we created (its id is stored on the top-up) and must agree with that
    top-up on every id it carries, so a paid session can never credit someone else's purchase."""
    top_up = TopUp.objects.filter(checkout_session_id=session.get("id") or "").first()
    if top_up is None:
        return None, "refused: unknown checkout session"
    metadata = session.get("metadata") or {}
    if session.get("client_reference_id") != top_up.id or metadata.get("top_up_id") != top_up.id:
        return None, "refused: session does not belong to this top-up"
    if metadata.get("user_id", str(top_up.user_id)) != str(top_up.user_id):
        return None, "refused: session belongs to another user"
    return top_up, ""


def _on_session_paid(session: dict) -> str:
    if session.get("payment_status") != "paid":
        return "awaiting payment"
    top_up, refusal = _session_top_up(session)
    if top_up is None:
        return refusal
    return top_up_fulfil(
        top_up_id=top_up.id,
        amount_cents=session.get("amount_total") or 0,
        currency=session.get("currency") or "",
        payment_intent_id=session.get("payment_intent"),
    )


def _on_session_failed(session: dict) -> str:
    top_up, refusal = _session_top_up(session)
    if top_up is None:
        return refusal
    return "canceled" if top_up_cancel(top_up_id=top_up.id) else f"already {top_up.status}"


def _on_charge_refunded(charge: dict) -> str:
    # Locked for the whole event, so two events about one charge are applied one after the other.
    top_ups = TopUp.objects.select_for_update()
    top_up = None
    if charge.get("payment_intent"):
        top_up = top_ups.filter(payment_intent_id=charge["payment_intent"]).first()
    if top_up is None and charge.get("id"):
        top_up = top_ups.filter(charge_id=charge["id"]).first()
    if top_up is None:
        return "ignored: charge is not a top-up of ours"
    if not top_up.charge_id and charge.get("id"):
        TopUp.objects.filter(pk=top_up.pk, charge_id=None).update(charge_id=charge["id"])
    # `amount_refunded` is Stripe's running total: record exactly what it says beyond what we
    # have, under the refund ids when the charge lists them (older API versions), else under an id
    # derived from the total. Either way a replay or a later event can't count a refund twice.
    missing = (charge.get("amount_refunded") or 0) - top_up.refunded_cents
    recorded = 0
    refunds = ((charge.get("refunds") or {}).get("data")) or []
    for refund in sorted(refunds, key=lambda r: r.get("created", 0)):
        if missing <= 0:
            break
        if refund.get("status", "succeeded") not in ("succeeded", "pending"):
            continue
        if TopUpRefund.objects.filter(refund_id=refund["id"]).exists():
            continue
        amount = min(refund.get("amount") or 0, missing)
        if amount > 0 and top_up_refund_record(
            top_up_id=top_up.id, refund_id=refund["id"], amount_cents=amount
        ):
            missing -= amount
            recorded += 1
    if missing > 0:
        top_up_refund_record(
            top_up_id=top_up.id,
            refund_id=f"{charge.get('id')}:refunded:{charge.get('amount_refunded')}",
            amount_cents=missing,
        )
        recorded += 1
    return f"refunds recorded: {recorded}"


_STRIPE_HANDLERS = {
    "checkout.session.completed": _on_session_paid,
    "checkout.session.async_payment_succeeded": _on_session_paid,
    "checkout.session.async_payment_failed": _on_session_failed,
    "checkout.session.expired": _on_session_failed,
    "charge.refunded": _on_charge_refunded,
}
