"""Add the experts tier to the demo community (used by `make run`, after seed_demo).

Does nothing unless seed_demo's accounts exist and no expert does. helper@example.com becomes
a community expert for "Mobile app", whose programme is on with a short community window, so
a question asked there is offered to the helper after two minutes; a few services and areas
make "Get expert help" bookable.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from community.models import Category
from escalation.models import EscalationPolicy
from experts import services
from experts.models import CategoryProgramme, Expert, ExpertSettings, Service, ServiceArea


class Command(BaseCommand):
    help = "Add demo experts, services and an offered question to the demo community."

    def handle(self, *args, **options) -> None:
        users = {u.username: u for u in get_user_model().objects.filter(username__in=["customer", "helper", "staff"])}
        mobile = Category.objects.filter(slug="mobile-app").first()
        if len(users) < 3 or mobile is None or Expert.objects.exists():
            self.stdout.write("Experts demo data left as it is.")
            return
        with transaction.atomic():
            self._seed(users, mobile)
        self.stdout.write(self.style.SUCCESS(
            "Experts demo created: helper@example.com is a community expert for Mobile app; "
            "a question asked there is offered to them after two minutes."
        ))

    def _seed(self, users, mobile) -> None:
        from community import services as community

        ExpertSettings.objects.update_or_create(pk=1, defaults={"probation_answers": 1, "minimum_payout": Decimal("20.00")})
        EscalationPolicy.objects.update_or_create(
            category=mobile, defaults={"answer_within_minutes": 2, "solve_within_minutes": 24 * 60, "staff_response_minutes": 60}
        )
        CategoryProgramme.objects.create(
            category=mobile, fee=Decimal("15.00"), currency="EUR", expert_window_minutes=30, claim_hold_minutes=15
        )
        centre = ServiceArea.objects.create(name="City centre", position=1)
        ServiceArea.objects.create(name="North side", position=2)
        for position, (name, mode, minutes, price, fee) in enumerate([
            ("Set up a new phone with your laptop", Service.Mode.IN_PERSON, 45, "49.00", "35.00"),
            ("Move your data to a new phone", Service.Mode.EITHER, 60, "59.00", "42.00"),
            ("Fix sync and notifications", Service.Mode.REMOTE, 30, "29.00", "20.00"),
        ]):
            Service.objects.create(
                name=name, category=mobile, mode=mode, duration_minutes=minutes, price=Decimal(price),
                expert_fee=Decimal(fee), currency="EUR", position=position,
            )
        expert = services.apply_as_expert(
            user=users["helper"], categories=[mobile], service_areas=[centre],
            motivation="I have helped hundreds of people with the mobile app here.", availability="Evenings and weekends",
        )
        services.approve_expertise(staff=users["staff"], expertise_id=expert.expertise.get().pk)
        thread = community.ask_question(
            author=users["customer"], category=mobile, title="Widgets stay blank on my Android home screen",
            body="Since the last update the app's widgets show nothing until I open the app.",
        )
        from community.models import Thread

        Thread.objects.filter(pk=thread.pk).update(created_at=timezone.now() - timedelta(minutes=5))
        services.offer_thread(thread=thread)
