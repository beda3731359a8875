from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"

    def ready(self):
        # Beat re-enqueues deliveries whose countdown task was lost; merged into whatever
        # schedule the settings define, so no shared file has to list it.
        from veoportal.celery import app

        schedule = dict(app.conf.beat_schedule or {})
        schedule.setdefault(
            "webhooks-deliveries-sweep",
            {"task": "webhooks.tasks.deliveries_sweep", "schedule": 60.0},
        )
        app.conf.beat_schedule = schedule
