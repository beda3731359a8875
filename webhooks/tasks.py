"""Celery tasks that deliver webhooks. The generation's state is committed before its event is
even created, so a receiver can never hold it up. Each attempt is capped at WEBHOOK_TIMEOUT
seconds and retries are scheduled with countdowns (never slept), so a slow or dead receiver holds
a worker slot for at most that long; WEBHOOK_QUEUE moves deliveries to workers of their own."""

from celery import shared_task

from webhooks import services


@shared_task(ignore_result=True)
def deliver(delivery_id):
    result = services.delivery_attempt(delivery_id=delivery_id)
    if result.retry_in is not None:
        deliver.apply_async(
            (delivery_id,), countdown=result.retry_in, **services.delivery_task_options()
        )


@shared_task(ignore_result=True)
def deliveries_sweep():
    """Picks up deliveries whose scheduled task was lost (runs every minute from beat)."""
    services.deliveries_enqueue_due()
