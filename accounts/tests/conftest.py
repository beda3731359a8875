"""Fixtures for the accounts tests."""

import pytest


@pytest.fixture
def forget_failed_logins():
    """Clears allauth's failed-login counter for 127.0.0.1 after a test that fails logins on
    purpose: the counter lives in the shared cache and would otherwise count against the next
    tests (and servers) signing in from the same address within the minute."""
    yield
    from allauth.core import ratelimit
    from django.test import RequestFactory

    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    # allauth clears every rate of the action; the per-address one needs some address.
    ratelimit.clear(request, action="login_failed", key="nobody@example.com")
