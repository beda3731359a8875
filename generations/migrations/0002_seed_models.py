"""Seeds the three models on sale; the operator edits prices and adds rows in the admin."""

from django.db import migrations

from generations.catalog import DEFAULT_MODELS, video_models_seed


def seed(apps, schema_editor):
    video_models_seed(apps.get_model("generations", "VideoModel"))


def unseed(apps, schema_editor):
    VideoModel = apps.get_model("generations", "VideoModel")
    VideoModel.objects.filter(slug__in=[m["slug"] for m in DEFAULT_MODELS]).delete()


class Migration(migrations.Migration):
    dependencies = [("generations", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
