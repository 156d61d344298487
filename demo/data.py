"""The demo cast, category tree and the steps of the ticket stories (demo.stories) that `seed_demo` plays through the services.

Each story is a ticket's life: created `age` ago, then steps, each `after` the previous one
(durations like "2h30m", "1d4h"). The command replays them in order of creation and then moves
every timestamp to the demo time of the step that wrote it (demo.seeding.Timeline). A month of
routine closed tickets is in demo.month; knowledge base, canned replies, inbound mail and the
postmortem's text are in demo.content.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.roles import DPO_GROUP, MANAGER_GROUP, Level

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password (the specification)

# name: (is_vip, contract)
ORGANISATIONS = {
    "Acme Industries": (True, "Gold"),
    "Boulangerie Martin": (False, ""),
    "Cabinet Garnier Architectes": (False, ""),
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    email: str
    groups: tuple[str, ...] = ()
    organisation: str | None = None
    phone: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    role: str = ""


USERS = (
    DemoUser("requester", "Camille", "Dubois", "camille.dubois@example.org", organisation="Acme Industries",
             phone="+33 4 72 10 20 30", role="requester, Acme Industries (VIP, Gold)"),
    DemoUser("requester2", "Thomas", "Martin", "thomas.martin@example.org", organisation="Boulangerie Martin",
             phone="+33 1 45 67 89 10", role="requester, Boulangerie Martin"),
    DemoUser("agent1", "Nadia", "Petit", "nadia.petit@example.org", groups=(Level.N1,), role="agent N1"),
    DemoUser("agent2", "Hugo", "Bernard", "hugo.bernard@example.org", groups=(Level.N2,), role="agent N2"),
    DemoUser("agent3", "Julien", "Roux", "julien.roux@example.org", groups=(Level.N3,), role="agent N3"),
    DemoUser("agent4", "Isabelle", "Fournier", "isabelle.fournier@example.org", groups=(Level.N4,),
             role="agent N4"),
    DemoUser("manager", "Claire", "Moreau", "claire.moreau@example.org", groups=(MANAGER_GROUP,), is_staff=True,
             role="manager"),
    DemoUser("admin", "Marc", "Lambert", "marc.lambert@example.org", is_staff=True, is_superuser=True,
             role="administrator"),
    # The data protection officer: the privacy tools and the audit log, no tickets (docs/gdpr.md).
    DemoUser("dpo", "Léa", "Girard", "lea.girard@example.org", groups=(DPO_GROUP,), is_staff=True,
             role="data protection officer"),
    # Requesters of the month of routine tickets (demo.month).
    DemoUser("erobert", "Emma", "Robert", "emma.robert@example.org", organisation="Boulangerie Martin",
             role="requester, Boulangerie Martin"),
    DemoUser("sgarnier", "Sophie", "Garnier", "sophie.garnier@example.org",
             organisation="Cabinet Garnier Architectes", role="requester, Cabinet Garnier Architectes"),
    DemoUser("lmercier", "Lucas", "Mercier", "lucas.mercier@example.org",
             organisation="Cabinet Garnier Architectes", role="requester, Cabinet Garnier Architectes"),
)
GROUPS = (*Level.values, MANAGER_GROUP, DPO_GROUP)

# Parent: children. Leaf names are unique, so stories name their category by its own name.
CATEGORIES = {
    "Poste de travail": ("Messagerie", "Logiciels", "Matériel"),
    "Réseau": ("VPN", "Wi-Fi"),
    "Applications métier": ("ERP", "CRM"),
    "Comptes et accès": (),
}

# The dispatch (docs/dispatch.md): each agent's working hours (a business calendar's name; None: any
# hour) and skills at their level (a category's name, its sub-categories included; None: every category).
# The N1 agent is on call at any hour, so a ticket created in the demo is assigned at once, whatever the time.
DISPATCH = {
    "agent1": (None, "N1", (None,)),
    "agent2": ("Jours ouvrés 9h–18h", "N2", ("Réseau", "Poste de travail")),
    "agent3": ("Jours ouvrés 9h–18h", "N3", ("Applications métier",)),
    "agent4": (None, "N4", (None,)),
}


@dataclass(frozen=True)
class Step:
    action: str  # take, reply, note, wait, answer, cause, escalate, priority, assign, resolve, reopen, close,
    #              auto_close, rate, write_postmortem, publish_postmortem
    after: str  # since the previous step
    by: str = ""  # username; the requester for answer, reopen and close
    text: str = ""
    category: str = ""  # take: qualify with this category
    level: str = ""  # escalate
    assignee: str = ""  # escalate, assign
    priority: str = ""
    reason: str = ""  # escalate (an escalation reason code), priority
    score: int = 0  # rate: the satisfaction survey's score, 1 to 5


def take(by, after, category=""):
    return Step("take", after, by, category=category)


def reply(by, after, text):
    return Step("reply", after, by, text)


def note(by, after, text):
    return Step("note", after, by, text)


def wait(by, after, text):
    return Step("wait", after, by, text)


def answer(after, text):
    return Step("answer", after, text=text)


def cause(by, after, text):
    return Step("cause", after, by, text)


def escalate(by, after, level, assignee, reason, text):
    return Step("escalate", after, by, text, level=level, assignee=assignee, reason=reason)


def raise_priority(by, after, priority, reason):
    return Step("priority", after, by, priority=priority, reason=reason)


def assign(by, after, assignee):
    return Step("assign", after, by, assignee=assignee)


def resolve(by, after, text):
    return Step("resolve", after, by, text)


def reopen(after, text):
    return Step("reopen", after, text=text)


def close(after):
    return Step("close", after)


def auto_close(after="7d"):
    return Step("auto_close", after)


def rate(after, score, comment=""):
    """The requester answers the satisfaction survey of the closed ticket."""
    return Step("rate", after, text=comment, score=score)


def write_postmortem(by, after, key):
    """The owner writes the postmortem demo.content.POSTMORTEMS[key] and submits it for review."""
    return Step("write_postmortem", after, by, key)


def publish_postmortem(by, after, key):
    """A manager publishes it and shares it with the requesters it names."""
    return Step("publish_postmortem", after, by, key)


@dataclass(frozen=True)
class Story:
    requester: str
    title: str
    description: str
    ticket_type: str
    channel: str
    urgency: str
    impact: str
    category: str | None
    age: str
    steps: tuple[Step, ...] = ()
    recorded_by: str = ""  # the agent who typed a phone or chat ticket
