"""Stripe Checkout in payment mode through stripe-python's StripeClient. Credits are granted only
by the signed `checkout.session.completed` webhook, never by the browser's return."""

from django.conf import settings
from django.urls import reverse

from billing.providers.base import PaymentError, PaymentProvider


def stripe_client():
    import stripe

    base_addresses = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses=base_addresses, max_network_retries=2
    )


class StripeProvider(PaymentProvider):
    identifier = "stripe"
    verbose_name = "Stripe"

    @property
    def is_test(self):
        return not settings.STRIPE_SECRET_KEY.startswith("sk_live_")

    def checkout_create(self, top_up) -> str:
        import stripe

        site = settings.SITE_URL
        result_url = site + reverse("billing:top_up_detail", args=[top_up.id])
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": top_up.currency,
                        "unit_amount": top_up.amount_cents,
                        "product_data": {
                            "name": f"{top_up.credits:,} {settings.SITE_NAME} credits"
                        },
                    },
                }
            ],
            "success_url": result_url + "?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": site + reverse("billing:index") + "?canceled=" + top_up.id,
            "client_reference_id": top_up.id,
            "customer_email": top_up.user.email,
            "metadata": {"top_up_id": top_up.id, "user_id": str(top_up.user_id)},
            "payment_intent_data": {"metadata": {"top_up_id": top_up.id}},
        }
        try:
            session = stripe_client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{top_up.id}"}
            )
        except stripe.StripeError as exc:
            raise PaymentError(f"Stripe refused the checkout: {exc.user_message or exc}") from exc
        top_up.checkout_session_id = session.id
        top_up.save(update_fields=["checkout_session_id"])
        return session.url

    def refund(self, top_up, amount_cents: int) -> str:
        import stripe

        if not top_up.payment_intent_id:
            raise PaymentError("This top-up has no Stripe payment intent to refund.")
        params = {
            "payment_intent": top_up.payment_intent_id,
            "amount": amount_cents,
            "metadata": {"top_up_id": top_up.id},
        }
        # The key makes a double-clicked refund one refund at Stripe.
        key = f"refund-{top_up.id}-{top_up.refunded_cents}-{amount_cents}"
        try:
            refund = stripe_client().v1.refunds.create(
                params=params, options={"idempotency_key": key}
            )
        except stripe.StripeError as exc:
            raise PaymentError(f"Stripe refused the refund: {exc.user_message or exc}") from exc
        return refund.id
