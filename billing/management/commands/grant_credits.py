"""manage.py grant_credits EMAIL AMOUNT --reason TEXT: an operator's grant, a ledger entry."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from billing.selectors import balance_get
from billing.services import credits_grant


class Command(BaseCommand):
    help = "Give a user credits (written to the ledger with the reason)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("amount", type=int)
        parser.add_argument("--reason", required=True)
        parser.add_argument("--reference", help="Makes re-running the same grant a no-op.")

    def handle(self, *args, email, amount, reason, reference=None, **options):
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with the email {email}.")
        try:
            entry = credits_grant(user=user, amount=amount, reason=reason, reference=reference)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        balance = balance_get(user=user)
        self.stdout.write(
            f"Granted {entry.amount} credits to {user.email} ({entry.reference}); "
            f"available now {balance.available}."
        )
