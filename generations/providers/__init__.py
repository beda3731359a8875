"""Upstream video providers by name: the built-in simulator and Google's Gemini API."""

from django.conf import settings
from django.utils.module_loading import import_string

from .base import PollResult, Provider, ProviderError, VideoRequest

PROVIDERS = {
    "simulator": "generations.providers.simulator.SimulatorProvider",
    "gemini": "generations.providers.gemini.GeminiProvider",
}

__all__ = ["PollResult", "Provider", "ProviderError", "VideoRequest", "get_provider"]


def get_provider(name=None, *, credential_id="") -> Provider:
    """The provider called `name` (None: settings.VIDEO_PROVIDER). With a credential id, the
    instance holding the credential an operation was started with, so polls use the same one."""
    name = name or settings.VIDEO_PROVIDER
    if name not in PROVIDERS:
        raise ValueError(f"Unknown video provider {name!r}; known: {', '.join(PROVIDERS)}")
    cls = import_string(PROVIDERS[name])
    if credential_id and hasattr(cls, "for_credential"):
        return cls.for_credential(credential_id)
    return cls()
