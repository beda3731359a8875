"""The billing part of /v1: the caller's credit balance."""

from django.conf import settings
from ninja import Router, Schema

from billing.selectors import balance_get
from generations.schemas import ErrorOut

router = Router(tags=["Billing"])


class BalanceOut(Schema):
    object: str = "balance"
    available: int
    held: int
    unit: str = "credit"
    credit_value_usd: str


@router.get(
    "/balance",
    response={200: BalanceOut, 401: ErrorOut, 429: ErrorOut},
    summary="Retrieve your credit balance",
    description=(
        "Credits you can spend (`available`) and credits reserved by generations still running "
        "(`held`). One credit is worth `credit_value_usd` US dollars."
    ),
)
def balance(request):
    current = balance_get(user=request.auth.user)
    return {
        "object": "balance",
        "available": current.available,
        "held": current.held,
        "unit": "credit",
        "credit_value_usd": settings.CREDIT_VALUE_USD,
    }
