"""Seeds the three plans; the operator edits them in the admin."""

from django.db import migrations

PLANS = [
    # name, lifetime top-ups (credits) from which it applies, requests per minute, in flight
    ("Free", 0, 20, 2),
    ("Builder", 1_000, 60, 5),
    ("Scale", 10_000, 300, 20),
]


def seed(apps, schema_editor):
    Plan = apps.get_model("ops", "Plan")
    for name, threshold, rpm, in_flight in PLANS:
        Plan.objects.get_or_create(
            name=name,
            defaults={
                "min_lifetime_topup_credits": threshold,
                "requests_per_minute": rpm,
                "max_in_flight": in_flight,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("ops", "Plan").objects.filter(name__in=[p[0] for p in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("ops", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
