"""Celery tasks that deliver webhooks. They run on the default queue: each attempt is capped at
WEBHOOK_TIMEOUT seconds and retries are scheduled (never slept), so a slow or dead receiver holds a
worker slot for at most that long and never the generation pipeline's own state changes."""

from celery import shared_task

from webhooks import services


@shared_task(ignore_result=True)
def deliver(delivery_id):
    result = services.delivery_attempt(delivery_id=delivery_id)
    if result.retry_in is not None:
        deliver.apply_async((delivery_id,), countdown=result.retry_in)


@shared_task(ignore_result=True)
def deliveries_sweep():
    """Picks up deliveries whose scheduled task was lost (runs every minute from beat)."""
    services.deliveries_enqueue_due()
