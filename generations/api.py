"""/v1 video endpoints. Handlers only translate HTTP to services and selectors and back."""

from django.http import HttpRequest
from ninja import Header, Query, Router, Schema
from pydantic import Field

from generations import selectors, services, storage
from generations.objects import generation_to_dict, model_to_dict
from generations.schemas import ErrorOut, GenerationIn, GenerationList, GenerationOut, ModelList
from veoportal.errors import NotFound

router = Router(tags=["Video"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut, 500: ErrorOut}
CREATE_ERRORS = {**ERRORS, 402: ErrorOut, 413: ErrorOut, 415: ErrorOut}


class ListQuery(Schema):
    after: str | None = Field(None, description="The last id of the previous page.")
    limit: int = Field(20, ge=1, le=100, description="1 to 100.")
    status: str | None = Field(
        None,
        description="Only generations in this status.",
        pattern="^(queued|running|succeeded|failed)$",
    )


@router.post(
    "/video/generations",
    response={200: GenerationOut, **CREATE_ERRORS},
    summary="Create a video",
    description="Validates, holds the price (duration x price per second) and queues the work. "
    "Answers at once with the generation; poll it or pass webhook_url. With an Idempotency-Key "
    "header, the same key and body within 24 hours answer the first result and charge once; "
    "the same key with another body is a 400 (idempotency_key_reused). Fields are strictly "
    'typed ("5" is not a duration) and unknown fields are refused with a 400 naming them, '
    "so a misspelt option never passes silently. `simulated: true` in the answer means the "
    "built-in simulator, not Veo, makes the video.",
)
def create_generation(
    request: HttpRequest,
    payload: GenerationIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", min_length=1, max_length=255
    ),
):
    generation = services.generation_create(
        user=request.auth.user,
        api_key=request.auth.api_key,
        idempotency_key=idempotency_key,
        **payload.dict(),
    )
    return generation_to_dict(generation)


@router.get(
    "/video/generations",
    response={200: GenerationList, **ERRORS},
    summary="List your videos",
    description="Newest first. Pass the last id of a page as `after` for the next page.",
)
def list_generations(request: HttpRequest, query: Query[ListQuery]):
    rows, has_more = selectors.generation_list(
        user=request.auth.user, after=query.after, limit=query.limit, status=query.status
    )
    return {
        "object": "list",
        "data": [generation_to_dict(g) for g in rows],
        "first_id": rows[0].id if rows else None,
        "last_id": rows[-1].id if rows else None,
        "has_more": has_more,
    }


@router.get(
    "/video/generations/{generation_id}",
    response={200: GenerationOut, **ERRORS},
    summary="Poll a video",
)
def get_generation(request: HttpRequest, generation_id: str):
    generation = selectors.generation_get(user=request.auth.user, generation_id=generation_id)
    return generation_to_dict(generation)


MP4_ANSWERS = {
    "responses": {
        "200": {
            "description": "The MP4.",
            "content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}},
        },
        "206": {
            "description": "The requested byte range of the MP4.",
            "content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}},
        },
        "416": {"description": "The Range header asks for bytes the file does not have."},
    }
}


@router.get(
    "/video/generations/{generation_id}/content",
    response=ERRORS,
    summary="Download a video",
    description="The MP4 of a succeeded generation, with HTTP Range support.",
    openapi_extra=MP4_ANSWERS,
)
def get_generation_content(request: HttpRequest, generation_id: str):
    generation = selectors.generation_get(user=request.auth.user, generation_id=generation_id)
    if not generation.video:
        raise NotFound(
            f"The generation '{generation_id}' has no video (it is {generation.status}).",
            code="video_not_ready",
            param="id",
        )
    return storage.ranged_response(
        request, generation.video.name, "video/mp4", filename=f"{generation.id}.mp4"
    )


@router.get(
    "/models",
    response={200: ModelList, **ERRORS},
    summary="List models",
    description="The models on sale, with their durations, aspect ratios and price per second "
    "in credits.",
)
def list_models(request: HttpRequest):
    return {"object": "list", "data": [model_to_dict(m) for m in selectors.video_models_active()]}
