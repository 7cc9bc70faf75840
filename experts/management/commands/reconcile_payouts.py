"""Compare every expert's stored balance with the sum of their payout ledger; --fix repairs them."""

from django.core.management.base import BaseCommand

from experts.services import find_balance_drift, fix_balance


class Command(BaseCommand):
    help = "Report experts whose balance differs from their payout ledger sum; --fix sets them to the ledger sum."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Set each drifted balance to its ledger sum.")

    def handle(self, *args, fix: bool = False, **options):
        drifts = find_balance_drift()
        if not drifts:
            self.stdout.write(self.style.SUCCESS("All expert balances match the payout ledger."))
            return
        for expert, ledger in drifts:
            self.stdout.write(
                f"{expert.user.username} (expert {expert.pk}): stored {expert.balance}, ledger {ledger} "
                f"({expert.balance - ledger:+})"
            )
        if fix:
            for expert, _ledger in drifts:
                fix_balance(expert_id=expert.pk)
            self.stdout.write(self.style.SUCCESS(f"Fixed {len(drifts)} expert balance(s)."))
        else:
            self.stdout.write(self.style.WARNING(f"{len(drifts)} expert balance(s) differ; run with --fix to repair."))
