"""Request and answer bodies of the video API, as the OpenAPI document shows them."""

from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field


class ErrorDetail(Schema):
    message: str
    type: str
    code: str | None = None
    param: str | None = None


class ErrorOut(Schema):
    error: ErrorDetail


class GenerationIn(Schema):
    # Strict: "5" is not a duration and unknown fields are refused, not silently dropped.
    model_config = ConfigDict(extra="forbid", strict=True)

    model: str = Field(description="A model id from GET /v1/models, e.g. veo-3.")
    prompt: str = Field(
        min_length=1, max_length=2000, description="What the video shows, 1 to 2000 characters."
    )
    duration: int | None = Field(
        None,
        ge=1,
        le=60,
        description="Seconds; one of the model's durations (default: its shortest).",
    )
    aspect_ratio: str | None = Field(None, description='"16:9" (default) or "9:16".')
    image: str | None = Field(
        None,
        description="Image-to-video: an http(s) URL, or a data: URL of a PNG, JPEG or WebP "
        "image of at most 10 MB.",
    )
    negative_prompt: str | None = Field(
        None, max_length=2000, description="What to avoid, up to 2000 characters."
    )
    webhook_url: str | None = Field(
        None, description="An https URL that receives signed events as the generation changes."
    )


class GenerationError(Schema):
    message: str
    type: str
    code: str


class GenerationOut(Schema):
    id: str
    object: Literal["video.generation"]
    model: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: int = Field(description="0 to 100.")
    prompt: str
    negative_prompt: str | None
    duration: int
    aspect_ratio: str
    resolution: str
    cost: int = Field(
        description="Credits: held while running, charged on success, returned on failure."
    )
    created_at: int
    started_at: int | None
    completed_at: int | None
    video_url: str | None = Field(
        description="When succeeded: a signed URL that works without a key until it expires."
    )
    poster_url: str | None = Field(description="When succeeded: the first frame as a JPEG.")
    error: GenerationError | None = Field(description="When failed: why.")
    webhook_url: str | None
    simulated: bool = Field(description="True when the built-in simulator made this video.")


class GenerationList(Schema):
    object: Literal["list"]
    data: list[GenerationOut]
    first_id: str | None
    last_id: str | None
    has_more: bool


class ModelOut(Schema):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str
    name: str
    durations: list[int]
    aspect_ratios: list[str]
    resolution: str
    price_per_second: int = Field(description="Credits per second of video.")
    simulated: bool = Field(description="True when the built-in simulator stands in for Veo.")


class ModelList(Schema):
    object: Literal["list"]
    data: list[ModelOut]
