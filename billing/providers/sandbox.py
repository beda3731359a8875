"""The local default: a clearly labelled TEST checkout page on our own site. No money moves, but
paying completes through the very same fulfilment service as Stripe's webhook."""

import uuid

from django.urls import reverse

from billing.providers.base import PaymentProvider


class SandboxProvider(PaymentProvider):
    identifier = "sandbox"
    verbose_name = "Sandbox — test payments, no real money"
    is_test = True

    def checkout_create(self, top_up) -> str:
        return reverse("billing:sandbox_checkout", args=[top_up.id])

    def refund(self, top_up, amount_cents: int) -> str:
        from billing.services import top_up_refund_record

        refund_id = f"sbre_{uuid.uuid4().hex[:24]}"
        top_up_refund_record(top_up_id=top_up.id, refund_id=refund_id, amount_cents=amount_cents)
        return refund_id
