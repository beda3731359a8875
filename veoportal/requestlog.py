"""One log line per request, with a request id that is also sent back as `x-request-id`.

Only the method, the path (never the query string, which may carry a signed URL's token),
the status, the time taken and the caller's user id are logged: never a header or a body.
"""

import logging
import re
import time
import uuid

logger = logging.getLogger("veoportal.request")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("x-request-id", "")
        request.id = incoming if _SAFE_ID.match(incoming) else f"req_{uuid.uuid4().hex}"
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response["x-request-id"] = request.id
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else "-"
        logger.info(
            "%s %s %s %s %.1fms user=%s",
            request.id,
            request.method,
            request.path,
            response.status_code,
            elapsed_ms,
            user_id,
        )
        return response
