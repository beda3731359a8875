import time
import uuid

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from veoportal.tasks import ping


class Command(BaseCommand):
    help = "Send a task through the broker and wait until a Celery worker has run it."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30)

    def handle(self, *args, timeout, **options):
        token = uuid.uuid4().hex
        ping.delay(token)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if host := cache.get(f"ping:{token}"):
                self.stdout.write(f"A worker on {host} answered.")
                return
            time.sleep(0.2)
        raise CommandError(f"No worker answered within {timeout:g} s.")
