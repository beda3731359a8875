"""The small interface every payment provider implements (the way pretix does it).

Views and services call these methods and never a gateway SDK directly, so switching between the
sandbox and Stripe changes no code outside billing/providers/."""


class PaymentProvider:
    #: Stored on every TopUp (`TopUp.provider`) and used as PAYMENT_PROVIDER's value.
    identifier = ""
    #: Shown on the billing page, so people know whether real money moves.
    verbose_name = ""
    is_test = False

    def checkout_create(self, top_up) -> str:
        """Start paying for a pending TopUp; returns the URL to send the browser to.

        May set provider ids on the top-up (e.g. `checkout_session_id`) and save them."""
        raise NotImplementedError

    def refund(self, top_up, amount_cents: int) -> str:
        """Ask the gateway to refund `amount_cents` of a paid top-up; returns the refund id.

        The ledger entry is written by billing.services.top_up_refund_record when the gateway
        confirms (for Stripe: the `charge.refunded` webhook), idempotent on the refund id."""
        raise NotImplementedError


class PaymentError(Exception):
    """The gateway refused or could not be reached; the message is safe to show an operator."""
