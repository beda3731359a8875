"""The one error shape every /v1 answer uses: {"error": {"message", "type", "code", "param"}}.

Services raise ApiError (or a subclass); the API maps it to HTTP in one place (veoportal/api.py).
"""

from django.http import JsonResponse

TYPES_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    502: "server_error",
    503: "server_error",
}


class ApiError(Exception):
    status = 400
    code = "invalid_request"

    def __init__(self, message, *, code=None, param=None, status=None, type=None, headers=None):
        super().__init__(message)
        self.message = message
        self.status = status or self.status
        self.code = code or self.code
        self.param = param
        self.type = type or TYPES_BY_STATUS.get(self.status, "invalid_request_error")
        self.headers = headers or {}


class NotFound(ApiError):
    status = 404
    code = "not_found"


def error_body(message, *, type, code, param=None):
    return {"error": {"message": message, "type": type, "code": code, "param": param}}


def error_response(message, *, status, code, param=None, type=None, headers=None):
    body = error_body(
        message,
        type=type or TYPES_BY_STATUS.get(status, "invalid_request_error"),
        code=code,
        param=param,
    )
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def api_error_response(exc: ApiError):
    return error_response(
        exc.message,
        status=exc.status,
        code=exc.code,
        param=exc.param,
        type=exc.type,
        headers=exc.headers,
    )
