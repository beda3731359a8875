"""Generations: creating one (validate, price, hold, record, enqueue) and moving it through
queued -> running -> succeeded | failed. Every transition is one conditional UPDATE, so each
generation settles exactly once whatever retries, duplicate deliveries or crashes happen."""

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from billing import services as billing
from generations import mp4, storage, upstream_limits, validation
from generations.models import Generation
from generations.providers import ProviderError, VideoRequest, get_provider
from ops import limits
from veoportal.errors import ApiError

logger = logging.getLogger(__name__)

IDEMPOTENCY_WINDOW = timedelta(hours=24)
IDEMPOTENCY_KEY_MAX = 255
# A submission claimed by a worker that died before recording its operation is retried after this.
SUBMIT_CLAIM_TIMEOUT = timedelta(seconds=120)
# Longest wait between two tries of a submission upstream refused for now.
RETRY_DELAY_MAX = 300
# The sweep re-enqueues work whose next task has not shown up for this long.
STALLED_AFTER = timedelta(seconds=120)


def _is_deadlock(exc):
    return type(exc.__cause__).__name__ == "DeadlockDetected"


def atomic_retrying(work, *, attempts=4):
    """Run `work()` in a transaction; when the database breaks a deadlock by aborting ours,
    run it again (the standard answer to a deadlock; the whole transaction was rolled back, its
    on_commit callbacks with it). Inside an outer transaction there is nothing to retry."""
    for attempt in range(attempts):
        if connection.in_atomic_block or attempt == attempts - 1:
            with transaction.atomic():
                return work()
        try:
            with transaction.atomic():
                return work()
        except OperationalError as exc:
            if not _is_deadlock(exc):
                raise
            logger.warning("deadlock, retrying the transaction (attempt %s)", attempt + 1)
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))


# ---------------------------------------------------------------------------------------------
# Creating


def _replay(*, user, idempotency_key, body_hash):
    """The generation an earlier request with this key made, or None; a different body is a 400."""
    earlier = (
        Generation.objects.select_related("model")
        .filter(user=user, idempotency_key=idempotency_key)
        .first()
    )
    if earlier is None:
        return None
    if earlier.created_at < timezone.now() - IDEMPOTENCY_WINDOW:
        # Expired: free the key for this request (a conditional update, in case of a race).
        Generation.objects.filter(pk=earlier.pk, idempotency_key=idempotency_key).update(
            idempotency_key=None
        )
        return None
    if earlier.idempotency_hash != body_hash:
        raise ApiError(
            "This Idempotency-Key was already used with a different request body.",
            code="idempotency_key_reused",
            param="Idempotency-Key",
            status=400,
        )
    return earlier


def generation_create(
    *,
    user,
    model: str,
    prompt: str,
    duration: int | None = None,
    aspect_ratio: str | None = None,
    image: str | None = None,
    negative_prompt: str | None = None,
    webhook_url: str | None = None,
    api_key=None,
    idempotency_key: str | None = None,
) -> Generation:
    """Validate, hold the price and record the generation in one transaction, then enqueue it.
    Any refusal leaves nothing behind: no hold, no row, no file."""
    fields = {
        "model": model,
        "prompt": prompt,
        "duration": duration,
        "aspect_ratio": aspect_ratio,
        "image": image,
        "negative_prompt": negative_prompt,
        "webhook_url": webhook_url,
    }
    for param, value in fields.items():
        if isinstance(value, str):
            validation.check_text(value, param=param)
    body_hash = validation.body_hash(fields)
    if idempotency_key is not None:
        validation.check_text(idempotency_key, param="Idempotency-Key")
        if not 1 <= len(idempotency_key) <= IDEMPOTENCY_KEY_MAX:
            raise validation.invalid(
                f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters.",
                param="Idempotency-Key",
            )
        if earlier := _replay(user=user, idempotency_key=idempotency_key, body_hash=body_hash):
            return earlier

    video_model, duration, upstream_duration, aspect_ratio, image_data, image_type = (
        validation.request_validate(
            model=model,
            prompt=prompt,
            duration=duration,
            aspect_ratio=aspect_ratio,
            image=image,
            negative_prompt=negative_prompt,
            webhook_url=webhook_url,
        )
    )
    generation = Generation(
        user=user,
        api_key=api_key,
        model=video_model,
        prompt=prompt,
        negative_prompt=negative_prompt or "",
        duration=duration,
        upstream_duration=upstream_duration,
        aspect_ratio=aspect_ratio,
        resolution=video_model.resolution,
        image_url="" if (image_data or not image) else image,
        image_mime_type=image_type or "",
        webhook_url=webhook_url or "",
        cost=video_model.price_for(duration),
        provider=settings.VIDEO_PROVIDER,
        idempotency_key=idempotency_key,
        idempotency_hash=body_hash if idempotency_key is not None else "",
    )
    image_name = ""
    if image_data:
        image_name = storage.input_save(
            generation.id, validation.IMAGE_TYPES[image_type], image_data
        )
        generation.image.name = image_name

    def record():
        generation.save(force_insert=True)
        limits.generation_admit(generation=generation)
        billing.hold_place(
            user=user,
            amount=generation.cost,
            reference=generation.id,
            api_key=api_key,
            description=f"{video_model.slug}, {duration} s video ({generation.id})",
        )
        transaction.on_commit(lambda: _enqueue_start(generation.id))

    try:
        atomic_retrying(record)
    except IntegrityError:
        storage.media_delete(image_name)
        # A concurrent request with the same Idempotency-Key won the insert: answer its result.
        earlier = idempotency_key and _replay(
            user=user, idempotency_key=idempotency_key, body_hash=body_hash
        )
        if earlier:
            return earlier
        raise
    except BaseException:
        storage.media_delete(image_name)
        raise
    return generation


# ---------------------------------------------------------------------------------------------
# The pipeline


def _enqueue_start(generation_id, countdown=0):
    from generations.tasks import generation_start

    generation_start.apply_async((generation_id,), countdown=countdown)


def _enqueue_poll(generation_id, countdown):
    from generations.tasks import generation_poll

    generation_poll.apply_async((generation_id,), countdown=countdown)


def _emit(generation_id, status):
    """The webhook for a transition, once the transition is committed; its failure never
    disturbs the generation."""

    def emit():
        from webhooks.services import event_emit

        generation = Generation.objects.select_related("model").get(pk=generation_id)
        if generation.webhook_url:
            event_emit(generation=generation, type=f"video.generation.{status}")

    transaction.on_commit(emit, robust=True)


def _video_request(generation, *, image=None, image_mime_type=""):
    return VideoRequest(
        generation_id=generation.id,
        upstream_model=generation.model.upstream_model,
        prompt=generation.prompt,
        duration=generation.duration,
        upstream_duration=generation.upstream_duration,
        aspect_ratio=generation.aspect_ratio,
        resolution=generation.resolution,
        negative_prompt=generation.negative_prompt,
        image=image,
        image_mime_type=image_mime_type,
        credential_id=generation.credential_id,
    )


def _load_image(generation):
    """The input image's bytes: stored from a data: URL, or fetched through the address filter."""
    from veoportal import netguard

    if generation.image:
        with generation.image.open("rb") as handle:
            return handle.read(), generation.image_mime_type
    if generation.image_url:
        try:
            return netguard.safe_get(
                generation.image_url,
                max_bytes=validation.IMAGE_MAX_BYTES,
                allowed_types=list(validation.IMAGE_TYPES),
            )
        except netguard.UnsafeURL as exc:
            raise ProviderError("invalid_image", f"The image could not be used: {exc}") from exc
        except Exception as exc:  # network errors: the customer's URL, not our fault or retry
            raise ProviderError(
                "invalid_image", f"The image could not be fetched ({type(exc).__name__})."
            ) from exc
    return None, ""


def generation_start(*, generation_id) -> None:
    """Submit a queued generation upstream, once. Idempotent: a duplicate or redelivered task
    finds the claim taken (or the generation already running) and does nothing."""
    now = timezone.now()
    generation = Generation.objects.select_related("model").filter(pk=generation_id).first()
    if generation is None:
        return
    if generation.status == Generation.RUNNING:
        if generation.next_poll_at is None or generation.next_poll_at < now - STALLED_AFTER:
            _enqueue_poll(generation_id, countdown=0)  # the poll chain was lost
        return
    if generation.status != Generation.QUEUED:
        return
    provider = get_provider(generation.provider or None)
    # The claim also holds the provider's upstream limits (operations in flight, requests per
    # minute) across every worker: over one, the generation stays queued and comes back later.
    wait = upstream_limits.submission_claim(
        generation_id=generation_id, provider=provider, now=now, claim_timeout=SUBMIT_CLAIM_TIMEOUT
    )
    if wait < 0:
        return
    if wait > 0:
        Generation.objects.filter(pk=generation_id, status=Generation.QUEUED).update(
            next_poll_at=now + timedelta(seconds=wait)
        )
        _enqueue_start(generation_id, countdown=wait)
        return
    try:
        image, image_type = _load_image(generation)
        operation = provider.submit(
            _video_request(generation, image=image, image_mime_type=image_type)
        )
    except ProviderError as exc:
        tries = generation.attempts + 1
        max_attempts = getattr(provider, "max_attempts", None)
        if exc.retryable and max_attempts and tries >= max_attempts:
            message = f"{exc.message} (gave up after {tries} tries)"
            generation_fail(generation_id=generation_id, code=exc.code, message=message)
            return
        if exc.retryable:
            # Upstream is busy or over our caps: stay queued and try again later.
            delay = _retry_delay(provider, exc, tries)
            Generation.objects.filter(pk=generation_id, submitted_at=now).update(
                submitted_at=None, next_poll_at=now + timedelta(seconds=delay)
            )
            _enqueue_start(generation_id, countdown=delay)
            return
        generation_fail(generation_id=generation_id, code=exc.code, message=exc.message)
        return
    with transaction.atomic():
        moved = Generation.objects.filter(pk=generation_id, status=Generation.QUEUED).update(
            status=Generation.RUNNING,
            operation_name=operation,
            provider=provider.name,
            credential_id=provider.credential_id or "",
            started_at=timezone.now(),
            next_poll_at=timezone.now() + timedelta(seconds=provider.poll_interval),
        )
        if moved:
            _emit(generation_id, Generation.RUNNING)
            interval = provider.poll_interval
            transaction.on_commit(lambda: _enqueue_poll(generation_id, countdown=interval))


def _retry_delay(provider, exc, tries):
    """Exponential backoff from the provider's base (capped), never sooner than upstream's own
    RetryInfo says; without a base, at least a second."""
    backoff = getattr(provider, "retry_backoff", None)
    if not backoff:
        return max(1.0, exc.retry_after)
    return max(exc.retry_after, min(backoff * 2 ** (tries - 1), RETRY_DELAY_MAX))


def generation_poll(*, generation_id) -> None:
    """Ask upstream once how a running generation does; settle it when done, otherwise poll
    again later. Never waits: the next poll is a task with a countdown."""
    generation = Generation.objects.select_related("model").filter(pk=generation_id).first()
    if generation is None or generation.status != Generation.RUNNING:
        return
    now = timezone.now()
    Generation.objects.filter(pk=generation_id).update(attempts=F("attempts") + 1)
    try:
        provider = get_provider(generation.provider or None, credential_id=generation.credential_id)
        deadline = getattr(provider, "deadline", None)
        if deadline and generation.started_at < now - timedelta(seconds=deadline):
            raise ProviderError(
                "upstream_timeout",
                f"The video service gave no result within {int(deadline)} seconds.",
            )
        result = provider.poll(generation.operation_name, _video_request(generation))
        if result.done and not result.video:
            raise ProviderError(
                "upstream_unavailable", "The video service finished without a video."
            )
    except ProviderError as exc:
        if exc.retryable:
            _poll_later(generation_id, max(1.0, exc.retry_after), progress=None)
            return
        generation_fail(generation_id=generation_id, code=exc.code, message=exc.message)
        return
    if not result.done:
        _poll_later(generation_id, provider.poll_interval, progress=min(result.progress, 99))
        return
    video = result.video
    if generation.upstream_duration > generation.duration:
        from generations.trim import mp4_trim

        video = mp4_trim(video, seconds=generation.duration)
    generation_succeed(
        generation_id=generation_id,
        video=video,
        upstream_latency_ms=int((now - generation.started_at).total_seconds() * 1000),
    )


def _poll_later(generation_id, countdown, *, progress):
    changes = {"next_poll_at": timezone.now() + timedelta(seconds=countdown)}
    if progress is not None:
        changes["progress"] = progress
    Generation.objects.filter(pk=generation_id, status=Generation.RUNNING).update(**changes)
    _enqueue_poll(generation_id, countdown=countdown)


def generation_succeed(*, generation_id, video: bytes, upstream_latency_ms=None) -> bool:
    """Store the video and its poster, then settle: True only for the call that settled it."""
    video_name = storage.media_save(generation_id, "video", video)
    poster_name = storage.media_save(generation_id, "poster", mp4.poster_jpeg(video))

    def settle():
        settled = Generation.objects.filter(pk=generation_id, status=Generation.RUNNING).update(
            status=Generation.SUCCEEDED,
            progress=100,
            video=video_name,
            poster=poster_name,
            completed_at=timezone.now(),
            next_poll_at=None,
            upstream_latency_ms=upstream_latency_ms,
        )
        if settled:
            billing.hold_capture(reference=generation_id)
            _emit(generation_id, Generation.SUCCEEDED)
        return settled

    settled = atomic_retrying(settle)
    if not settled:
        logger.info("generation %s was already settled; result discarded", generation_id)
        if Generation.objects.filter(pk=generation_id, status=Generation.FAILED).exists():
            storage.media_delete(video_name)
            storage.media_delete(poster_name)
    return bool(settled)


def generation_fail(*, generation_id, code: str, message: str) -> bool:
    """Fail an unsettled generation and return its credits: True only for the call that did."""

    def settle():
        settled = Generation.objects.filter(
            pk=generation_id, status__in=Generation.UNSETTLED
        ).update(
            status=Generation.FAILED,
            error_code=code,
            error_message=message[:2000],
            completed_at=timezone.now(),
            next_poll_at=None,
        )
        if settled:
            billing.hold_release(reference=generation_id)
            _emit(generation_id, Generation.FAILED)
        return settled

    return bool(atomic_retrying(settle))


def generations_sweep(*, now=None) -> dict:
    """Fail generations stuck past GENERATION_DEADLINE (releasing their credits) and re-enqueue
    ones whose next task was lost. Runs every minute from Celery beat."""
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.GENERATION_DEADLINE)
    failed = 0
    for generation_id in Generation.objects.filter(
        status__in=Generation.UNSETTLED, created_at__lt=deadline
    ).values_list("id", flat=True):
        failed += generation_fail(
            generation_id=generation_id,
            code="upstream_timeout",
            message=f"No result within {settings.GENERATION_DEADLINE} seconds.",
        )
    stalled = Q(next_poll_at__isnull=True) | Q(next_poll_at__lt=now - STALLED_AFTER)
    revived = 0
    for generation_id in Generation.objects.filter(
        stalled, status=Generation.QUEUED, created_at__lt=now - STALLED_AFTER
    ).values_list("id", flat=True):
        _enqueue_start(generation_id)
        revived += 1
    for generation_id in Generation.objects.filter(stalled, status=Generation.RUNNING).values_list(
        "id", flat=True
    ):
        _enqueue_poll(generation_id, countdown=0)
        revived += 1
    return {"failed": failed, "revived": revived}


def generation_fail_by_operator(*, generation_id) -> bool:
    """The admin's "fail and release" for a stuck generation."""
    return generation_fail(
        generation_id=generation_id,
        code="cancelled_by_operator",
        message="The operator stopped this generation; its credits were returned.",
    )
