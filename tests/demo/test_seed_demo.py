"""`manage.py seed_demo`: the demo cast of the specification, tickets in every status, safe to run twice."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Profile
from accounts.roles import is_agent
from dashboard.periods import period_from
from dashboard.selectors import trend
from kb.models import Article, ArticleRevision, ArticleStatus, Audience, TicketArticleLink
from postmortem.models import CorrectiveAction, Postmortem, PostmortemEvent, PostmortemState
from tickets.models import (
    CannedReply,
    Category,
    Followup,
    InboundEmail,
    InboundStatus,
    Notification,
    Status,
    Survey,
    Ticket,
    TicketEvent,
)

User = get_user_model()

# The stable interface of the specification: username -> the group it must be in (None: superuser).
SPEC_USERS = {
    "requester": None,
    "agent1": "N1",
    "agent2": "N2",
    "agent3": "N3",
    "agent4": "N4",
    "manager": "Manager",
    "admin": None,
}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "groups": Group.objects.count(),
        "profiles": Profile.objects.count(),
        "categories": Category.objects.count(),
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
        "followups": Followup.objects.count(),
        "notifications": Notification.objects.count(),
        "articles": Article.objects.count(),
        "canned replies": CannedReply.objects.count(),
        "inbound emails": InboundEmail.objects.count(),
        "postmortems": Postmortem.objects.count(),
        "corrective actions": CorrectiveAction.objects.count(),
        "answered surveys": Survey.objects.filter(answered_at__isnull=False).count(),
    }


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_without_debug_or_force(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        seed()

    assert not User.objects.exists()
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_seed_demo_creates_the_spec_users_with_password_demo_in_their_groups(settings):
    settings.DEBUG = False

    output = seed(force=True)

    for username, group in SPEC_USERS.items():
        user = User.objects.get(username=username)
        assert user.check_password("demo"), username
        assert username in output
        if group is not None:
            assert list(user.groups.values_list("name", flat=True)) == [group]
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="manager").is_staff
    requester = User.objects.get(username="requester")
    assert not requester.groups.exists() and not requester.is_staff and not is_agent(requester)
    organisation = requester.profile.organisation
    assert (organisation.name, organisation.is_vip) == ("Acme Industries", True)
    assert organisation.contract == "Gold"
    assert not User.objects.get(username="requester2").profile.organisation.is_vip


@pytest.mark.django_db
def test_seed_demo_creates_tickets_in_all_five_statuses_through_the_services_without_emailing():
    seed(force=True)

    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert Ticket.objects.count() >= 30
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"P1", "P2", "P3", "P4"}
    # Every ticket has its creation and every status move in its history.
    for ticket in Ticket.objects.all():
        kinds = list(ticket.events.values_list("kind", flat=True))
        assert kinds[0] == "created", ticket.reference
        if ticket.status != Status.NEW:
            assert ticket.events.filter(kind="transition", data__to=ticket.status).exists(), ticket.reference
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            assert ticket.solution and ticket.assignee_id
    # The outbox is real, but marked sent: no email about weeks-old news goes out.
    assert Notification.objects.filter(template="ticket_created").count() == Ticket.objects.count()
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db
def test_seed_demo_spreads_tickets_over_weeks_with_a_chronological_history():
    seed(force=True)
    now = timezone.now()

    oldest = Ticket.objects.order_by("created_at").first()
    assert (now - oldest.created_at).days >= 14
    for ticket in Ticket.objects.all():
        times = list(ticket.events.order_by("id").values_list("created_at", flat=True))
        assert times == sorted(times), ticket.reference
        assert ticket.created_at <= times[0] and times[-1] <= now, ticket.reference
        if ticket.first_response_at:
            assert ticket.first_response_at > ticket.created_at
        if ticket.resolved_at:
            assert ticket.first_response_at < ticket.resolved_at <= now
        if ticket.closed_at:
            assert ticket.resolved_at is None or ticket.resolved_at < ticket.closed_at
    # Resolved tickets are younger than the auto-close delay, so the beat job leaves them alone.
    assert not Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lt=now - timedelta(days=7))


@pytest.mark.django_db
def test_seed_demo_twice_creates_nothing_twice(settings):
    settings.DEBUG = True
    seed()  # DEBUG is enough, no --force needed.
    first = counts()

    output = seed(force=True)

    assert counts() == first
    assert "already seeded" in output


# --- Something in every feature


@pytest.mark.django_db
def test_seed_demo_writes_a_dozen_public_and_internal_articles_through_the_kb_services():
    seed(force=True)

    published = Article.objects.filter(status=ArticleStatus.PUBLISHED)
    assert published.count() >= 12
    assert set(published.values_list("audience", flat=True)) == {Audience.PUBLIC, Audience.INTERNAL}
    assert published.filter(audience=Audience.PUBLIC).count() >= 6
    bodies = list(published.values_list("body", flat=True))
    assert any("\n|---|" in body for body in bodies)  # a Markdown table
    assert any(body.startswith("## ") or "\n## " in body for body in bodies)  # a heading under the title
    # Written through kb.services: each has its revision 1 and its agent author.
    assert ArticleRevision.objects.filter(number=1).count() == Article.objects.count()
    assert all(is_agent(article.author) for article in Article.objects.select_related("author"))
    assert TicketArticleLink.objects.filter(article__audience=Audience.PUBLIC).exists()


@pytest.mark.django_db
def test_seed_demo_adds_canned_replies_and_inbound_mail_waiting_for_review():
    seed(force=True)

    assert CannedReply.objects.filter(is_active=True).count() >= 5
    waiting = InboundEmail.objects.filter(status=InboundStatus.UNMATCHED)
    assert waiting.count() >= 2
    assert all(email.note for email in waiting)  # why it was not routed: unknown sender, automatic reply


@pytest.mark.django_db
def test_seed_demo_publishes_a_postmortem_shared_with_its_requester():
    seed(force=True)

    postmortem = Postmortem.objects.select_related("incident__ticket").get(state=PostmortemState.PUBLISHED)
    ticket = postmortem.incident.ticket
    assert postmortem.root_cause and postmortem.lessons_learned and postmortem.timeline.startswith("- ")
    assert ticket.requester in postmortem.shared_with_users.all()
    assert ticket.organisation in postmortem.shared_with_organisations.all()
    actions = list(PostmortemEvent.objects.filter(postmortem=postmortem).order_by("created_at", "id")
                   .values_list("action", flat=True))
    assert actions[0] == "created" and actions[-2:] == ["publish", "shared"]
    assert CorrectiveAction.objects.filter(postmortem=postmortem, done=True).exists()
    assert CorrectiveAction.objects.filter(postmortem=postmortem, done=False).exists()
    # In the story's time: after the ticket was resolved, before now.
    assert ticket.resolved_at < postmortem.published_at < timezone.now()


@pytest.mark.django_db
def test_seed_demo_closes_and_rates_tickets_over_a_month_so_the_dashboard_has_trends():
    seed(force=True)
    now = timezone.now()

    closed = Ticket.objects.filter(status=Status.CLOSED)
    assert closed.count() >= 20
    weeks = {(now - ticket.created_at).days // 7 for ticket in closed}
    assert {0, 1, 2, 3} <= weeks  # closed tickets created in each of the last four weeks
    scores = list(Survey.objects.filter(answered_at__isnull=False).values_list("score", flat=True))
    assert len(scores) >= 15 and len(set(scores)) >= 4
    rows = trend(period=period_from(key="30d"), filters={})
    assert sum(row["created"] > 0 for row in rows) >= 4
    assert sum(row["csat"] is not None for row in rows) >= 3


@pytest.mark.django_db
def test_seed_demo_gives_the_agents_skills_and_hours_so_a_new_ticket_is_assigned(django_capture_on_commit_callbacks):
    from dispatch.models import AgentProfile, Assignment, Forecast, HandlingStat, Skill
    from tickets import services as ticket_services

    seed(force=True)
    skills = set(Skill.objects.values_list("agent__username", "level", "category__name"))
    assert ("agent1", "N1", None) in skills and ("agent3", "N3", "Applications métier") in skills
    assert AgentProfile.objects.get(agent__username="agent2").calendar.name == "Jours ouvrés 9h–18h"
    assert HandlingStat.objects.filter(category=None, level="N1", samples__gt=0).exists()
    assert Forecast.objects.exists()
    # The N1 agent is on call at any hour: a new ticket (of a requester who is not a VIP, whose tickets
    # go straight to N2) goes to them with its explanation.
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_services.ticket_create(
            requester=User.objects.get(username="requester2"), title="Écran noir", description="…",
            ticket_type="incident", urgency="medium", impact="medium", category=Category.objects.get(name="Matériel"))
    ticket.refresh_from_db()
    assert ticket.assignee.username == "agent1"
    assert Assignment.objects.get(ticket=ticket).skill == ""  # every category
    before = Skill.objects.count()
    seed(force=True)
    assert Skill.objects.count() == before
