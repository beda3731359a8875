"""Payment providers: `get_provider()` returns the active one (settings.PAYMENT_PROVIDER)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from billing.providers.base import PaymentError, PaymentProvider
from billing.providers.sandbox import SandboxProvider
from billing.providers.stripe import StripeProvider

PROVIDERS = {p.identifier: p for p in (SandboxProvider, StripeProvider)}

__all__ = ["PaymentError", "PaymentProvider", "get_provider"]


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider called `name`, or the configured one when name is None."""
    name = name or settings.PAYMENT_PROVIDER
    if name not in PROVIDERS:
        raise ImproperlyConfigured(
            f"PAYMENT_PROVIDER={name!r} is not one of: {', '.join(sorted(PROVIDERS))}."
        )
    return PROVIDERS[name]()
