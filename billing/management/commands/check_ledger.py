"""manage.py check_ledger: verifies every account against its ledger; non-zero exit on mismatch."""

from django.core.management.base import BaseCommand, CommandError

from billing.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Check that every balance equals the sum of its ledger and its open holds."

    def handle(self, *args, **options):
        mismatches = ledger_mismatches()
        for mismatch in mismatches:
            self.stderr.write(f"{mismatch.email} (user {mismatch.user_id}): {mismatch.problem}")
        if mismatches:
            accounts = sorted({m.email for m in mismatches})
            raise CommandError(
                f"Ledger mismatch in {len(accounts)} account(s): {', '.join(accounts)}"
            )
        self.stdout.write("Ledger OK: every balance equals the sum of its entries.")
