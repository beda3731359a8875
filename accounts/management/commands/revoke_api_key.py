"""Support: revoke a leaked key, given the whole key or its displayed prefix."""

from django.core.management.base import BaseCommand, CommandError

from accounts import selectors, services


class Command(BaseCommand):
    help = (
        "Revoke an API key, given the whole key or its displayed prefix (if only one key has it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("key", help="The whole key (sk-veo-…) or its displayed prefix.")

    def handle(self, *args, key, **options):
        try:
            api_key = selectors.api_key_find(key_or_prefix=key)
        except selectors.KeyLookupError as exc:
            raise CommandError(str(exc)) from None
        already = api_key.is_revoked
        api_key = services.api_key_revoke(api_key=api_key)
        state = "was already revoked" if already else "is revoked"
        self.stdout.write(
            f"Key {api_key.prefix}… “{api_key.name}” of {api_key.user.email} {state} "
            f"(since {api_key.revoked_at:%Y-%m-%d %H:%M:%S} UTC)."
        )
