"""Google's Gemini API Veo provider (wire format in WIRE.md): one HTTP exchange per call, no sleeps.

`submit` starts a long-running operation; `poll` reads it once and, when it is done, copies the
MP4 (Google's file URL needs the key and redirects to another host, so we never hand it out).
"""

import base64
import hashlib
import re
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

from .base import PollResult, Provider, ProviderError, VideoRequest

TIMEOUT = httpx.Timeout(60.0, connect=10.0)
MAX_REDIRECTS = 5
MAX_VIDEO_BYTES = 512 * 1024 * 1024
RETRYABLE_STATUSES = {408, 429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# Operation names are opaque, but they go into our URL path: refuse anything that could climb out.
OPERATION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
# google.rpc.Code numbers of a finished operation's error that mean "the request was wrong".
INVALID_REQUEST_RPC_CODES = {3, 9, 11}  # INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE


def credential_id_for(api_key: str) -> str:
    """A stable, non-secret name for an API key: recorded on generations, safe in logs."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:8]


def configured_keys() -> list[str]:
    """The current key first, then retired ones still needed for operations they started."""
    keys = [settings.GEMINI_API_KEY, *settings.GEMINI_RETIRED_API_KEYS]
    return [k for k in keys if k]


def parse_retry_delay(value) -> float | None:
    """RetryInfo.retryDelay is a protobuf Duration in JSON: "53s", "1.5s"."""
    if isinstance(value, str) and (match := re.fullmatch(r"(\d+(?:\.\d+)?)s", value.strip())):
        return float(match.group(1))
    return None


def json_object(response: httpx.Response) -> dict:
    """The answer's JSON object, or {} when it is not one (a proxy's HTML page, say)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def upstream_error(response: httpx.Response, *, doing: str) -> ProviderError:
    """Turn a google.rpc.Status answer into our stable error codes."""
    error = json_object(response).get("error")
    error = error if isinstance(error, dict) else {}
    message = str(error.get("message") or response.reason_phrase or "no message")
    details = error.get("details") or []
    status = response.status_code
    if status in RETRYABLE_STATUSES:
        delay = next(
            (
                parse_retry_delay(d.get("retryDelay"))
                for d in details
                if isinstance(d, dict) and str(d.get("@type", "")).endswith("google.rpc.RetryInfo")
            ),
            None,
        )
        if delay is None:
            header = response.headers.get("retry-after", "")
            delay = float(header) if header.isdigit() else 0.0
        return ProviderError(
            "upstream_unavailable",
            f"The video service is busy or failing ({status} while {doing}); try again later.",
            retry_after=delay,
        )
    reasons = {d.get("reason") for d in details if isinstance(d, dict)}
    if status in (401, 403) or "API_KEY_INVALID" in reasons:
        # Our credentials, not the customer's request: say so without blaming them.
        return ProviderError(
            "upstream_unavailable",
            f"The video service refused this portal's credentials while {doing}.",
        )
    if status == 400:
        return ProviderError(
            "upstream_invalid_request", f"The video service refused the request: {message}"
        )
    return ProviderError(
        "upstream_unavailable", f"The video service answered {status} while {doing}: {message}"
    )


class GeminiProvider(Provider):
    name = "gemini"

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None):
        self.api_key = settings.GEMINI_API_KEY if api_key is None else api_key
        self.base_url = (base_url or settings.GEMINI_BASE_URL).rstrip("/")

    @property
    def credential_id(self) -> str:
        return credential_id_for(self.api_key)

    # The pipeline reads these limits from the provider, so other providers need none of them.
    @property
    def poll_interval(self) -> float:
        return settings.GEMINI_POLL_INTERVAL

    @property
    def deadline(self) -> float:
        return settings.GEMINI_DEADLINE

    @property
    def max_in_flight(self) -> int:
        return settings.GEMINI_MAX_IN_FLIGHT

    @property
    def requests_per_minute(self) -> int:
        return settings.GEMINI_RPM

    @property
    def max_attempts(self) -> int:
        return settings.GEMINI_MAX_ATTEMPTS

    @property
    def retry_backoff(self) -> float:
        return settings.GEMINI_RETRY_BACKOFF

    @classmethod
    def for_credential(cls, credential_id: str) -> "GeminiProvider":
        """The provider holding the key a generation was started with: an operation can only be
        read with the key that created it, whatever key is configured now."""
        for key in configured_keys():
            if credential_id_for(key) == credential_id:
                return cls(api_key=key)
        raise ProviderError(
            "upstream_credential_changed",
            f"The upstream credential this generation was started with ({credential_id}) is no "
            "longer configured (GEMINI_API_KEY / GEMINI_RETIRED_API_KEYS), so its result cannot "
            "be fetched.",
        )

    def _client(self):
        return httpx.Client(
            timeout=TIMEOUT, follow_redirects=False, headers={"x-goog-api-key": self.api_key}
        )

    def _request(self, method, url, *, doing, **kwargs) -> httpx.Response:
        try:
            with self._client() as client:
                response = client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise ProviderError(
                "upstream_unavailable",
                f"The video service could not be reached while {doing} ({type(exc).__name__}).",
                retry_after=0.0,
            ) from exc
        if response.status_code != 200:
            raise upstream_error(response, doing=doing)
        return response

    def request_body(self, request: VideoRequest) -> dict:
        """The predictLongRunning body. `seed` and `generateAudio` are Vertex-only: the Gemini
        API refuses them, so they are never sent."""
        instance = {"prompt": request.prompt}
        if request.image:
            instance["image"] = {
                "bytesBase64Encoded": base64.b64encode(request.image).decode(),
                "mimeType": request.image_mime_type,
            }
        parameters = {
            "aspectRatio": request.aspect_ratio,
            "durationSeconds": request.upstream_duration,
            "sampleCount": 1,
        }
        if request.resolution and request.resolution != "720p":
            parameters["resolution"] = request.resolution  # 720p is the default; Veo 2 has no other
        if request.negative_prompt:
            parameters["negativePrompt"] = request.negative_prompt
        return {"instances": [instance], "parameters": parameters}

    def submit(self, request: VideoRequest) -> str:
        url = f"{self.base_url}/v1beta/models/{request.upstream_model}:predictLongRunning"
        response = self._request("POST", url, json=self.request_body(request), doing="submitting")
        name = json_object(response).get("name")
        if not isinstance(name, str) or not OPERATION_NAME.match(name) or ".." in name:
            raise ProviderError(
                "upstream_unavailable", "The video service answered without an operation name."
            )
        return name

    def poll(self, operation: str, request: VideoRequest) -> PollResult:
        if not OPERATION_NAME.match(operation) or ".." in operation:
            raise ProviderError("upstream_unavailable", "The stored operation name is malformed.")
        response = self._request("GET", f"{self.base_url}/v1beta/{operation}", doing="polling")
        data = json_object(response)
        if not data:
            raise ProviderError(
                "upstream_unavailable",
                "The video service answered the poll with something unreadable.",
                retry_after=0.0,
            )
        if not data.get("done"):
            metadata = data.get("metadata")
            progress = metadata.get("progressPercent") if isinstance(metadata, dict) else None
            progress = int(progress) if isinstance(progress, int | float) else 0
            return PollResult(done=False, progress=max(0, min(progress, 99)))
        if error := data.get("error"):
            error = error if isinstance(error, dict) else {}
            code = (
                "upstream_invalid_request"
                if error.get("code") in INVALID_REQUEST_RPC_CODES
                else "upstream_unavailable"
            )
            message = error.get("message") or "no message"
            raise ProviderError(code, f"The video service could not make this video: {message}")
        result = (data.get("response") or {}).get("generateVideoResponse")
        result = result if isinstance(result, dict) else {}
        samples = result.get("generatedSamples") or []
        if not samples:
            if (result.get("raiMediaFilteredCount") or 0) >= 1:
                reasons = (
                    "; ".join(result.get("raiMediaFilteredReasons") or []) or "no reason given"
                )
                raise ProviderError(
                    "content_filtered", f"The video service's safety filters blocked it: {reasons}"
                )
            raise ProviderError(
                "upstream_unavailable", "The video service finished without a video."
            )
        sample = samples[0] if isinstance(samples[0], dict) else {}
        uri = (sample.get("video") or {}).get("uri") or ""
        return PollResult(done=True, progress=100, video=self.download(uri))

    def download(self, uri: str) -> bytes:
        """GET the file, following redirects by hand. Google's redirect target (another host)
        needs the key too, so sending it there is our explicit, checked decision on each hop,
        not a client library's redirect policy (httpx strips only `Authorization` across
        origins today; other clients strip more)."""
        base = urlsplit(self.base_url)
        if urlsplit(uri)[:2] != base[:2]:
            # The key only ever goes where the operation told us, and only if that is Google.
            raise ProviderError(
                "upstream_unavailable", "The video's address is not on the video service."
            )
        url = uri
        try:
            with self._client() as client:
                for _ in range(MAX_REDIRECTS + 1):
                    with client.stream("GET", url) as response:
                        if response.status_code in REDIRECT_STATUSES:
                            url = urljoin(url, response.headers.get("location", ""))
                            if urlsplit(url).scheme not in ("https", base.scheme):
                                break
                            continue
                        if response.status_code != 200:
                            response.read()
                            raise upstream_error(response, doing="downloading the video")
                        chunks, size = [], 0
                        for chunk in response.iter_bytes():
                            size += len(chunk)
                            if size > MAX_VIDEO_BYTES:
                                raise ProviderError(
                                    "upstream_unavailable", "The video file is unreasonably large."
                                )
                            chunks.append(chunk)
                        return b"".join(chunks)
        except httpx.TransportError as exc:
            raise ProviderError(
                "upstream_unavailable",
                f"The video file could not be downloaded ({type(exc).__name__}).",
                retry_after=0.0,
            ) from exc
        raise ProviderError(
            "upstream_unavailable", "The video file's redirects led nowhere usable."
        )
