"""The interface every upstream video provider implements (the simulator and Google's Gemini API).

The pipeline never waits on a provider: it calls `submit` once, stores the operation name it
returns on the Generation, and then calls `poll` from tasks scheduled with countdowns until the
operation is done. A provider never sleeps.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoRequest:
    generation_id: str
    upstream_model: str
    prompt: str
    duration: int  # seconds asked for by the customer, and charged
    upstream_duration: int  # seconds asked of upstream (>= duration; the clip is trimmed after)
    aspect_ratio: str  # "16:9" or "9:16"
    resolution: str  # "720p" or "1080p"
    negative_prompt: str = ""
    image: bytes | None = None
    image_mime_type: str = ""
    credential_id: str = ""  # the credential the operation was started with, for polls


@dataclass(frozen=True)
class PollResult:
    done: bool
    progress: int = 0  # 0-100, for the API's `progress`
    video: bytes | None = None  # the MP4, once done and good


class ProviderError(Exception):
    """Upstream said no. `code` becomes the generation's error code; `retry_after` (seconds)
    is set when trying again later may succeed."""

    def __init__(self, code, message, *, retry_after=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def retryable(self):
        return self.retry_after is not None


class Provider:
    name = ""
    credential_id = ""  # a non-secret name of the credential in use, stored on the generation
    poll_interval = 10.0  # seconds between polls of one operation

    def submit(self, request: VideoRequest) -> str:
        """Start the work upstream; answer an opaque operation name."""
        raise NotImplementedError

    def poll(self, operation: str, request: VideoRequest) -> PollResult:
        """Ask how the operation is doing; raise ProviderError when it failed."""
        raise NotImplementedError
