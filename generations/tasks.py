"""Celery tasks of the generation pipeline: thin wrappers around services, safe to run twice
(acks_late: a task whose worker dies is delivered again)."""

from celery import shared_task

from generations import services


@shared_task(acks_late=True, ignore_result=True)
def generation_start(generation_id):
    services.generation_start(generation_id=generation_id)


@shared_task(acks_late=True, ignore_result=True)
def generation_poll(generation_id):
    services.generation_poll(generation_id=generation_id)


@shared_task(acks_late=True, ignore_result=True)
def generations_sweep():
    services.generations_sweep()
