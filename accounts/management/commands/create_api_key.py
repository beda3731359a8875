"""Support: make an API key for a user (optionally creating the user) and print it once."""

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = "Create an API key for EMAIL and print it once."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="created by support")
        parser.add_argument(
            "--create-user",
            action="store_true",
            help="Create the user (verified email, no usable password) if it doesn't exist.",
        )

    def handle(self, *args, email, name, create_user, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            if not create_user:
                raise CommandError(f"No user {email}; pass --create-user to make one.")
            user = services.user_create_verified(email=email.strip())
            self.stderr.write(
                f"Created user {user.email} (verified, no password: they can reset it)."
            )
        api_key, raw_key = services.api_key_create(user=user, name=name)
        self.stderr.write(
            f"Key {api_key.prefix}… “{api_key.name}” for {user.email}. It is shown once:"
        )
        # The key alone on stdout, so `KEY=$(manage.py create_api_key …)` works.
        self.stdout.write(raw_key)
