"""The public JSON objects of the video API: the generation (also a webhook's `data`) and models."""

from django.conf import settings

from generations import storage
from generations.models import Generation, VideoModel

ERROR_TYPE = "generation_error"


def _unix(moment):
    return int(moment.timestamp()) if moment else None


def simulator_in_use(provider=None):
    return (provider or settings.VIDEO_PROVIDER) == "simulator"


def generation_to_dict(generation: Generation) -> dict:
    succeeded = generation.status == Generation.SUCCEEDED
    failed = generation.status == Generation.FAILED
    return {
        "id": generation.id,
        "object": "video.generation",
        "model": generation.model.slug,
        "status": generation.status,
        "progress": 100 if succeeded else generation.progress,
        "prompt": generation.prompt,
        "negative_prompt": generation.negative_prompt or None,
        "duration": generation.duration,
        "aspect_ratio": generation.aspect_ratio,
        "resolution": generation.resolution,
        "cost": generation.cost,
        "created_at": _unix(generation.created_at),
        "started_at": _unix(generation.started_at),
        "completed_at": _unix(generation.completed_at),
        "video_url": storage.signed_url(generation.id, "video", generation.video.name)
        if succeeded
        else None,
        "poster_url": storage.signed_url(generation.id, "poster", generation.poster.name)
        if succeeded
        else None,
        "error": {
            "message": generation.error_message,
            "type": ERROR_TYPE,
            "code": generation.error_code,
        }
        if failed
        else None,
        "webhook_url": generation.webhook_url or None,
        # Says plainly when no real model made this video.
        "simulated": simulator_in_use(generation.provider or None),
    }


def model_to_dict(model: VideoModel) -> dict:
    return {
        "id": model.slug,
        "object": "model",
        "created": _unix(model.created_at),
        "owned_by": "google",
        "name": model.display_name,
        "durations": list(model.durations),
        "aspect_ratios": list(model.aspect_ratios),
        "resolution": model.resolution,
        "price_per_second": model.price_per_second,
        "simulated": simulator_in_use(),
    }
