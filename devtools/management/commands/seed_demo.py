"""Fill an empty database with a small demo community (used by `make run`).

Does nothing when the database already has members, so restarting `make run` keeps what was
typed into the demo. Prints the demo accounts and their passwords.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from community.models import Category

DEMO_ACCOUNTS = [
    # username, display name, email, password, is_staff, is_superuser
    ("customer", "Casey Customer", "customer@example.com", "customer-demo-pw", False, False),
    ("helper", "Harper Helper", "helper@example.com", "helper-demo-pw", False, False),
    ("staff", "Sam from Support", "staff@example.com", "staff-demo-pw", True, False),
    ("admin", "Alex Admin", "admin@example.com", "admin-demo-pw", True, True),
    ("manager", "Morgan Manager", "manager@example.com", "manager-demo-pw", False, False),
]
# Demo accounts given the community-manager role (/manage/): the group made by console's migration.
MANAGERS = {"manager"}
MANAGERS_GROUP = "Community managers"

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
            role = "admin" if is_superuser else "staff" if is_staff else "manager" if username in MANAGERS else "customer"
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
                # Established members, so the demo's votes and flags count from the first
                # minute (kudos treats accounts younger than a day as brand new).
                date_joined=timezone.now() - timedelta(days=30),
            )
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
            if username in MANAGERS:
                from django.contrib.auth.models import Group

                group = Group.objects.filter(name=MANAGERS_GROUP).first()
                if group is not None:
                    user.groups.add(group)
        for position, (name, slug, description) in enumerate(CATEGORIES):
            Category.objects.create(name=name, slug=slug, description=description, position=position)
        self._seed_community(User)
        self._seed_escalation(User)

    # --- Community: threads in every state, made through community.services -----------------

    def _seed_community(self, User) -> None:
        """Questions in every community state, each made through community.services so the
        other apps' receivers see the same events as on the site: unanswered, answered,
        solved by a customer, upvoted, "I have this too", edited, tagged, and a private one
        with a card number in it."""
        from community import services

        users = {user.username: user for user in User.objects.all()}
        for username, name in [("jordan", "Jordan Lee"), ("riley", "Riley Park"), ("morgan", "Morgan Diaz")]:
            user = User(username=username, email=f"{username}@example.com", display_name=name)
            user.set_unusable_password()  # demo authors only; nobody signs in as them
            user.save()
            users[username] = user
        customer, helper, staff = users["customer"], users["helper"], users["staff"]
        jordan, riley, morgan = users["jordan"], users["riley"], users["morgan"]
        categories = {category.slug: category for category in Category.objects.all()}

        # Solved by a customer, with upvotes and "I have this too".
        sync = services.ask_question(
            author=customer,
            category=categories["mobile-app"],
            title="Calendar sync stops after the 4.2 update",
            body=(
                "Since updating the iOS app to **4.2** my work calendar no longer syncs. "
                "New events from the web don't show up on my phone.\n\n"
                "- iPhone 13, iOS 17.5\n- App version 4.2.0\n\nI already restarted the phone."
            ),
            tags=["sync", "ios", "calendar"],
        )
        first = services.post_answer(
            author=jordan,
            thread=sync,
            body="Same here at first. Did you try signing out of the app and back in?",
        )
        fix = services.post_answer(
            author=helper,
            thread=sync,
            body=(
                "4.2 resets the background refresh permission. Open **Settings → General → "
                "Background App Refresh** and switch it on for the app, then pull down on the "
                "calendar to refresh.\n\n```\nSettings > General > Background App Refresh\n```"
            ),
        )
        for voter in (customer, jordan, riley):
            services.upvote_answer(user=voter, answer=fix)
        services.upvote_answer(user=morgan, answer=first)
        for user in (jordan, riley, morgan):
            services.add_me_too(user=user, thread=sync)
        services.accept_answer(user=customer, answer=fix)

        # Answered (by a member and officially by staff), not solved yet, edited by its asker.
        export = services.ask_question(
            author=riley,
            category=categories["billing"],
            title="Can I download all my invoices at once?",
            body="I need every invoice from last year for my accountant. Is there a bulk export?",
            tags=["invoices", "export"],
        )
        services.edit_question(
            user=riley,
            thread=export,
            title="Can I download all my invoices from 2025 at once?",
            body=(
                "I need every invoice from 2025 for my accountant. Is there a bulk export, "
                "ideally as PDF files in one zip?"
            ),
            tags=["invoices", "export", "pdf"],
        )
        member_answer = services.post_answer(
            author=morgan, thread=export, body="I don't think so, I download them one by one from the Billing page."
        )
        official = services.post_answer(
            author=staff,
            thread=export,
            body=(
                "Yes: on **Billing → Invoices**, tick the invoices you need (or *Select all*) "
                "and choose **Download as zip**. The zip has one PDF per invoice."
            ),
        )
        services.upvote_answer(user=riley, answer=official)
        services.upvote_answer(user=jordan, answer=official)
        services.upvote_answer(user=helper, answer=member_answer)
        services.add_me_too(user=customer, thread=export)

        # Unanswered ones.
        services.ask_question(
            author=jordan,
            category=categories["integrations"],
            title="Google Calendar connection keeps asking me to sign in again",
            body="Every morning the integration shows *Reconnect*. Is there a way to keep it connected?",
            tags=["google", "calendar", "sso"],
        )
        services.ask_question(
            author=morgan,
            category=categories["getting-started"],
            title="How do I invite my team members?",
            body="I created a workspace but can't find where to invite colleagues. Is it a paid feature?",
            tags=["team", "invitations"],
        )

        # Answered, with a still-open discussion and a helpful vote.
        notifications = services.ask_question(
            author=helper,
            category=categories["mobile-app"],
            title="Push notifications arrive late on Android",
            body="Notifications show up 10-15 minutes after the event on my Pixel 8. Battery saver is off.",
            tags=["android", "notifications"],
        )
        late = services.post_answer(
            author=riley,
            thread=notifications,
            body="Check *Settings → Apps → Peerdesk → Battery* and set it to **Unrestricted**.",
        )
        services.upvote_answer(user=helper, answer=late)
        services.add_me_too(user=customer, thread=notifications)

        # Private: the card number makes it private before it is first saved.
        services.ask_question(
            author=customer,
            category=categories["billing"],
            title="I was charged twice this month",
            body=(
                "My card 4111 1111 1111 1111 was charged twice for the Pro plan on 3 November. "
                "Can you refund one of the payments?"
            ),
            tags=["refund"],
        )

    # --- Escalation: tickets in every state, channels and a one-minute "Urgent" category ------

    def _seed_escalation(self, User) -> None:
        """Tickets open (one overdue), claimed, waiting on the customer, still needing help,
        resolved and redirected; two channels; and an "Urgent" category whose community gets
        one minute to answer, so a question asked there reaches the queue with the next sweep.
        Everything goes through the services; only the ask times are moved back (demo data
        has no history of its own) so the ages on the queue make sense."""
        from datetime import timedelta

        from django.utils import timezone

        from community import services as community
        from community.models import Thread
        from escalation import deadlines, tickets
        from escalation.models import Channel, EscalationPolicy, Ticket

        users = {user.username: user for user in User.objects.all()}
        customer, helper, staff = users["customer"], users["helper"], users["staff"]
        jordan, morgan = users.get("jordan", helper), users.get("morgan", customer)
        categories = {category.slug: category for category in Category.objects.all()}
        urgent = Category.objects.create(
            name="Urgent",
            slug="urgent",
            description="Outages and blockers: our support team steps in after one minute without an answer.",
            position=len(categories),
        )
        EscalationPolicy.objects.create(
            category=urgent, answer_within_minutes=1, solve_within_minutes=15, staff_response_minutes=30
        )
        billing = Channel.objects.create(
            name="Billing",
            position=0,
            instructions=(
                "Our billing team handles refunds and invoice corrections by phone: call 0800 555 0100 "
                "(Monday to Friday, 9:00-17:00) with your invoice number ready."
            ),
            link="https://example.com/billing",
        )
        Channel.objects.create(
            name="Account security",
            position=1,
            instructions=(
                "Please reset your password from the sign-in page, then reply to this email from the "
                "address on your account so we can confirm it is you."
            ),
        )
        now = timezone.now()

        def asked(author, slug, title, body, *, tags, hours_ago):
            thread = community.ask_question(
                author=author, category=categories[slug], title=title, body=body, tags=tags
            )
            when = now - timedelta(hours=hours_ago)
            Thread.objects.filter(pk=thread.pk).update(created_at=when, last_activity_at=when)
            thread.refresh_from_db()
            return thread

        def escalated(thread, *, hours_ago, reason=Ticket.Reason.UNANSWERED):
            ticket, _ = deadlines.escalate_thread(
                thread=thread, reason=reason, now=now - timedelta(hours=hours_ago)
            )
            return ticket

        # Open and overdue: nobody answered in the window and staff have not replied in time.
        escalated(
            asked(
                jordan, "getting-started", "Invitation emails never arrive for new team members",
                "I invite colleagues from Settings → Team but they never get the email. Spam folders are empty.",
                tags=["team", "invitations", "email"],
                hours_ago=13,
            ),
            hours_ago=9,
        )
        # Open, due later today.
        escalated(
            asked(
                customer, "mobile-app", "Android app signs me out every few minutes",
                "Since the last update the Android app signs me out constantly. Reinstalling didn't help.",
                tags=["android", "sign-in"],
                hours_ago=5,
            ),
            hours_ago=1,
        )
        # Claimed: the private questions (confidential tickets opened when they were asked).
        for ticket in Ticket.objects.filter(reason=Ticket.Reason.CONFIDENTIAL, status=Ticket.Status.OPEN):
            tickets.claim_ticket(ticket_id=ticket.pk, staff=staff)
        # Waiting on the customer: staff answered officially.
        waiting = escalated(
            asked(
                helper, "mobile-app", "Home screen widget doesn't refresh on iOS 18",
                "The widget shows yesterday's tasks until I open the app.",
                tags=["ios", "widgets"],
                hours_ago=7,
            ),
            hours_ago=3,
        )
        tickets.claim_ticket(ticket_id=waiting.pk, staff=staff)
        tickets.answer_ticket(
            ticket_id=waiting.pk,
            staff=staff,
            body=(
                "Thanks for the report. Please switch on **Background App Refresh** for the app in the "
                "iOS Settings: widgets only refresh while it is on. Does that fix it?"
            ),
        )
        # Still needs help: answered by a member, and the asker says it didn't help.
        stuck = asked(
            morgan, "integrations", "Slack notifications post to the wrong channel",
            "Task updates go to #general instead of #projects, although I picked #projects.",
            tags=["slack", "notifications"],
            hours_ago=20,
        )
        community.post_answer(
            author=jordan, thread=stuck, body="Try removing the integration and adding it again from Slack's side."
        )
        community.ask_for_more_help(user=morgan, thread=stuck)
        # Resolved.
        resolved = escalated(
            asked(
                customer, "getting-started", "How do I change the owner of our workspace?",
                "Our previous admin left the company. How can I become the owner?",
                tags=["workspace", "admin"],
                hours_ago=50,
            ),
            hours_ago=46,
        )
        tickets.answer_ticket(
            ticket_id=resolved.pk,
            staff=staff,
            body="I've made you the owner. You'll find the owner settings under **Settings → Workspace**.",
        )
        tickets.resolve_ticket(ticket_id=resolved.pk, staff=staff)
        # Redirected to the billing team.
        redirected = escalated(
            asked(
                jordan, "billing", "Refund for the annual plan I cancelled",
                "I cancelled my annual plan a week after renewing. Can I get the rest refunded?",
                tags=["refund", "plans"],
                hours_ago=30,
            ),
            hours_ago=26,
        )
        tickets.redirect_ticket(ticket_id=redirected.pk, staff=staff, channel=billing)
        # Urgent: one minute for the community, then the next sweep puts it in the queue.
        community.ask_question(
            author=helper,
            category=urgent,
            title="Sync stopped for the whole team",
            body="Since this morning nobody on our team sees new tasks on any device.",
            tags=["sync", "outage"],
        )
