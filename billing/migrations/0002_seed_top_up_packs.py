from django.db import migrations

PACKS = [(500, "Starter"), (1000, "Basic"), (2500, "Creator"), (10000, "Studio")]


def seed(apps, schema_editor):
    TopUpPack = apps.get_model("billing", "TopUpPack")
    if TopUpPack.objects.exists():
        return
    for order, (cents, name) in enumerate(PACKS):
        TopUpPack.objects.create(name=name, amount_cents=cents, sort_order=order)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
