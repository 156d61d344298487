"""`python manage.py seed_demo [--force]`: the demo cast of the specification, a few dozen tickets in every status
and a month of closed, rated ones, a published postmortem, knowledge base articles, canned replies and
mail waiting in the inbound inbox: something in every feature.

Tickets are played through tickets.services, so their references, history, SLA clocks, escalations
and notifications are real; only their timestamps are then moved into the past (demo.seeding). The
other apps' content goes through their own services (the demo app may import every app). Running it
again creates nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Organisation, Profile
from core.cache import invalidate
from demo.content import ARTICLES, CANNED_REPLIES, INBOUND_EMAILS
from demo.data import CATEGORIES, DEMO_PASSWORD, DISPATCH, GROUPS, ORGANISATIONS, USERS
from demo.seeding import TicketSeeder
from dispatch.models import AgentProfile, Skill
from dispatch.selectors import SKILLED_LEVELS
from dispatch.services import forecasts_refresh, handling_stats_recompute
from kb import services as kb_services
from kb.models import Article, Audience
from sla.models import BusinessCalendar
from tickets.inbound import inbound_receive
from tickets.models import (
    CannedReply,
    Category,
    InboundEmail,
    Status,
    Ticket,
)

User = get_user_model()


class Command(BaseCommand):
    help = ("Create the demo users (password “demo”), organisations, categories and tickets. "
            "Runs only with DEBUG or --force.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args, force: bool = False, **options) -> None:
        if not (settings.DEBUG or force):
            raise CommandError(
                "seed_demo creates users whose password is “demo”: it runs only with DEBUG=1, "
                "or with --force if you really want demo accounts in this database."
            )
        with transaction.atomic():
            groups = {name: Group.objects.get_or_create(name=name)[0] for name in GROUPS}
            organisations = {
                name: Organisation.objects.get_or_create(
                    name=name, defaults={"is_vip": vip, "contract": contract}
                )[0]
                for name, (vip, contract) in ORGANISATIONS.items()
            }
            users, created_users = self._users(groups, organisations)
            categories = self._categories()
            # Tickets are seeded once: the demo requester having tickets means it was done (or that
            # someone is using the demo, whose tickets we must not pile onto).
            if Ticket.objects.filter(requester=users["requester"]).exists():
                seeded = None
            else:
                seeded = TicketSeeder(users=users, categories=categories).run()
            # Each added only where missing, so a demo seeded before they existed gets them too.
            content = {
                # After the tickets: the seeded stories keep the agents they name.
                "Agents' skills (automatic assignment)": self._dispatch(users),
                "Knowledge base articles": self._knowledge_base(users, categories),
                "Canned replies": self._canned_replies(),
                "Inbound emails to review": self._inbound_emails(),
            }
        self._summary(created_users, seeded, content)

    def _users(self, groups, organisations):
        users, created_users = {}, set()
        # Hashed once for all: a deliberately slow hash, of a password everybody knows anyway.
        password = make_password(DEMO_PASSWORD)
        for demo in USERS:
            user, created = User.objects.get_or_create(
                username=demo.username,
                defaults={"first_name": demo.first_name, "last_name": demo.last_name, "email": demo.email,
                          "is_staff": demo.is_staff, "is_superuser": demo.is_superuser},
            )
            if created:
                # An existing account keeps its password: we never reset one we did not create.
                user.password = password
                user.save(update_fields=["password"])
                created_users.add(demo.username)
            user.groups.add(*(groups[name] for name in demo.groups))
            Profile.objects.get_or_create(
                user=user,
                defaults={"organisation": organisations.get(demo.organisation), "phone": demo.phone},
            )
            users[demo.username] = user
        return users, created_users

    @staticmethod
    def _dispatch(users: dict) -> int:
        """The demo agents' hours and skills (demo.data.DISPATCH), where missing; then the handling times
        observed on the seeded month and the forecast of the open tickets, so the workspace, the
        "À risque" view and the automatic assignment of a new ticket show something at once."""
        calendars = {calendar.name: calendar for calendar in BusinessCalendar.objects.all()}
        added = 0
        for username, (calendar, level, skills) in DISPATCH.items():
            agent = users[username]
            AgentProfile.objects.get_or_create(agent=agent, defaults={"calendar": calendars.get(calendar)})
            for name in skills:
                category = Category.objects.get(name=name, parent=None) if name else None
                _skill, created = Skill.objects.get_or_create(agent=agent, level=level, category=category)
                added += created
        if added:
            invalidate(SKILLED_LEVELS)
        handling_stats_recompute()
        forecasts_refresh(alert=False)
        return added

    def _categories(self) -> dict[str, Category]:
        categories = {}
        for parent_name, children in CATEGORIES.items():
            parent = Category.objects.get_or_create(name=parent_name, parent=None)[0]
            categories[parent_name] = parent
            for name in children:
                categories[name] = Category.objects.get_or_create(name=name, parent=parent)[0]
        return categories

    def _knowledge_base(self, users: dict, categories: dict[str, Category]) -> int:
        """The demo articles, written, published and given as solutions by agents through kb.services."""
        added = 0
        for demo in ARTICLES:
            if Article.objects.filter(title=demo.title).exists():
                continue
            author = users[demo.author]
            article = kb_services.article_create(
                author=author, title=demo.title, body=demo.body, tags=demo.tags,
                audience=Audience.INTERNAL if demo.internal else Audience.PUBLIC,
                category=categories[demo.category] if demo.category else None,
            )
            if demo.published:
                kb_services.article_publish(article=article, actor=author)
            for ticket in Ticket.objects.filter(title__in=demo.solves):
                kb_services.article_link_to_ticket(article=article, ticket=ticket, actor=author)
            added += 1
        return added

    @staticmethod
    def _canned_replies() -> int:
        # Managers keep canned replies in a plain form (no service): the same rows here.
        return sum(CannedReply.objects.get_or_create(title=title, defaults={"body": body})[1]
                   for title, body in CANNED_REPLIES)

    @staticmethod
    def _inbound_emails() -> int:
        """Mail nobody has sorted yet, received as the webhook or the mailbox poll would receive it."""
        before = InboundEmail.objects.count()
        for raw in INBOUND_EMAILS:
            inbound_receive(raw.encode())  # once per Message-ID
        return InboundEmail.objects.count() - before

    def _summary(self, created_users: set[str], seeded: list[Ticket] | None, content: dict[str, int]) -> None:
        write = self.stdout.write
        if seeded is None:
            write("Tickets: already seeded (the demo requester has tickets), none added.")
        else:
            counts = {status: 0 for status in Status.values}
            for ticket in seeded:
                counts[ticket.status] += 1
            detail = ", ".join(f"{counts[status.value]} {status.label}" for status in Status)
            write(f"Tickets: {len(seeded)} created ({detail}).")
        for what, added in content.items():
            write(f"{what}: {added} added." if added else f"{what}: already there, none added.")
        write(self.style.SUCCESS(f"Demo ready. Log in at {settings.HELPDESK_BASE_URL}/ with:"))
        for demo in USERS:
            password = DEMO_PASSWORD if demo.username in created_users else "(existing account, unchanged)"
            write(f"  {demo.username:<11} {password:<8}  {demo.first_name} {demo.last_name}, {demo.role}")
