"""The public /v1 API: one NinjaAPI that each app adds its router to, and the one place where
exceptions become the documented error shape."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from accounts.auth import ApiKeyAuth, SessionCsrfAuth
from veoportal.errors import ApiError, api_error_response, error_response

logger = logging.getLogger(__name__)


class JsonParser(Parser):
    """Bodies are JSON: a body declared as another media type is a 415, not a parse error."""

    def parse_body(self, request):
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise ApiError(
                "Send the request body as JSON with 'Content-Type: application/json'.",
                status=415,
                code="unsupported_media_type",
            )
        return super().parse_body(request)


api = NinjaAPI(
    title="veoportal API",
    version="1",
    description="OpenAI-style REST API for Google's Veo video models.",
    urls_namespace="v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=[ApiKeyAuth(), SessionCsrfAuth()],
    parser=JsonParser(),
)


def _validation_message(errors):
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "payload", "query")]
    param = ".".join(loc) or None
    message = first.get("msg", "Invalid request")
    if first.get("type") == "missing":
        message = f"Missing required parameter: '{param}'."
    elif param:
        message = f"Invalid value for '{param}': {message}."
    return message, param


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    message, param = _validation_message(exc.errors)
    return error_response(message, status=400, code="invalid_parameter", param=param)


@api.exception_handler(ApiError)
def on_api_error(request, exc):
    return api_error_response(exc)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    # ApiKeyAuth raises ApiError with a precise code; this is the fallback (no credentials).
    return error_response(
        "You didn't provide an API key. Send it as 'Authorization: Bearer sk-veo-...'.",
        status=401,
        code="missing_api_key",
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    if isinstance(exc.__cause__, ApiError):  # ninja wraps what the body parser raised
        return api_error_response(exc.__cause__)
    if exc.status_code == 400:
        return error_response(
            "We could not parse the JSON body of your request.", status=400, code="invalid_json"
        )
    if exc.status_code == 403:  # ninja's CSRF check for session callers
        return error_response(
            "Signed-in browser calls must send the CSRF token (X-CSRFToken header).",
            status=403,
            code="csrf_failed",
        )
    return error_response(str(exc), status=exc.status_code, code="http_error")


@api.exception_handler(RequestDataTooBig)
def on_body_too_big(request, exc):
    return error_response("The request body is too large.", status=413, code="request_too_large")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error_response("Not found.", status=404, code="not_found")


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    logger.exception("unhandled error in %s %s", request.method, request.path)
    return error_response(
        "The server had an error while processing your request. Retry with backoff.",
        status=500,
        code="server_error",
    )


def _routers():
    from billing.api import router as billing_router
    from generations.api import router as generations_router

    api.add_router("", billing_router)
    api.add_router("", generations_router)


_routers()
