"""Fill an empty database with a small demo community (used by `make run`).

Does nothing when the database already has members, so restarting `make run` keeps what was
typed into the demo. Prints the demo accounts and their passwords.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from community.models import Category

DEMO_ACCOUNTS = [
    # username, display name, email, password, is_staff, is_superuser
    ("customer", "Casey Customer", "customer@example.com", "customer-demo-pw", False, False),
    ("helper", "Harper Helper", "helper@example.com", "helper-demo-pw", False, False),
    ("staff", "Sam from Support", "staff@example.com", "staff-demo-pw", True, False),
    ("admin", "Alex Admin", "admin@example.com", "admin-demo-pw", True, True),
]

CATEGORIES = [
    ("Getting started", "getting-started", "Setting up your account and your first steps."),
    ("Billing & plans", "billing", "Invoices, payment methods, upgrades and refunds."),
    ("Mobile app", "mobile-app", "The iOS and Android apps: sync, notifications, sign-in."),
    ("Integrations", "integrations", "Connecting to other tools: calendars, chat, single sign-on."),
]


class Command(BaseCommand):
    help = "Create demo members, categories and threads if the database is empty."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        if User.objects.exists():
            self.stdout.write("Database already has members; demo data left as it is.")
        else:
            with transaction.atomic():
                self._seed(User)
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write("\nDemo accounts (sign in with the email address):")
        for username, _name, email, password, is_staff, is_superuser in DEMO_ACCOUNTS:
            role = "admin" if is_superuser else "staff" if is_staff else "customer"
            self.stdout.write(f"  {role:<9} {email:<24} password: {password}")
        self.stdout.write("")

    def _seed(self, User) -> None:
        from allauth.account.models import EmailAddress

        for username, name, email, password, is_staff, is_superuser in DEMO_ACCOUNTS:
            user = User.objects.create_user(
                username=username,
                email=email,
                password=password,
                display_name=name,
                is_staff=is_staff,
                is_superuser=is_superuser,
            )
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        for position, (name, slug, description) in enumerate(CATEGORIES):
            Category.objects.create(name=name, slug=slug, description=description, position=position)
