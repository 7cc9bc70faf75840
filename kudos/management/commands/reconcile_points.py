"""Compare every member's stored points with the sum of their ledger; --fix repairs them."""

from django.core.management.base import BaseCommand

from kudos.services import find_drift, fix_drift


class Command(BaseCommand):
    help = "Report members whose points differ from their ledger sum; --fix sets them to the ledger sum."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Set each drifted total to its ledger sum.")

    def handle(self, *args, fix: bool = False, **options):
        drifts = find_drift()
        if not drifts:
            self.stdout.write(self.style.SUCCESS("All member totals match the ledger."))
            return
        for d in drifts:
            self.stdout.write(
                f"{d.username} (id {d.user_id}): stored {d.stored}, ledger {d.ledger} ({d.difference:+d})"
            )
        if fix:
            for d in drifts:
                fix_drift(user_id=d.user_id)
            self.stdout.write(self.style.SUCCESS(f"Fixed {len(drifts)} member total(s)."))
        else:
            message = f"{len(drifts)} member total(s) differ; run with --fix to repair."
            self.stdout.write(self.style.WARNING(message))
