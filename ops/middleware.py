"""Puts the x-ratelimit-* headers on every /v1 answer, from the decision the limiter stored."""

from ops import limits
from veoportal.apishape import is_api_path
from veoportal.errors import api_error_response


class RateLimitHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_api_path(request.path):
            return response
        decision = getattr(request, "ratelimit", None)
        if decision is None and not hasattr(request, "ratelimit"):
            # Nobody authenticated (a wrong key, a public page): count it against the client's IP,
            # which also slows down anyone guessing keys. Such answers change nothing, so a refused
            # one is simply replaced.
            decision = limits.anonymous_check(request)
            if decision is not None and not decision.allowed:
                response = api_error_response(limits.RateLimited(decision))
        if decision is not None:
            for name, value in decision.headers().items():
                response[name] = value
        return response
