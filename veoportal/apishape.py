"""Keeps every /v1 answer in the documented error shape, even the ones Django itself produces
(unknown paths, 405 from the router, unexpected exceptions): never an HTML page."""

import json
import logging

from veoportal.errors import error_response

logger = logging.getLogger(__name__)

_MESSAGES = {
    404: ("Unknown API path.", "unknown_path"),
    405: ("This method is not allowed on this path.", "method_not_allowed"),
    415: ("Send the request body as application/json.", "unsupported_media_type"),
    500: ("The server had an error while processing your request.", "server_error"),
}


def is_api_path(path):
    return path == "/v1" or path.startswith("/v1/")


class ApiErrorShapeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_api_path(request.path) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json") and _is_shaped(response):
            return response
        message, code = _MESSAGES.get(response.status_code, ("Request failed.", "http_error"))
        shaped = error_response(message, status=response.status_code, code=code)
        if response.has_header("Allow"):
            shaped["Allow"] = response["Allow"]
        return shaped

    def process_exception(self, request, exception):
        if not is_api_path(request.path):
            return None
        logger.exception("unhandled error in %s %s", request.method, request.path)
        message, code = _MESSAGES[500]
        return error_response(message, status=500, code=code)


def _is_shaped(response):
    if getattr(response, "streaming", False):
        return False
    try:
        return "error" in json.loads(response.content)
    except ValueError:
        return False
