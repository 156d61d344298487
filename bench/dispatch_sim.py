"""Smart dispatch, proven by a replay (issue 20): four weeks of tickets through the real services with a
moved clock, under four ways of handing out tickets, and the breach forecast checked against what happened.

    .venv/bin/python bench/dispatch_sim.py [--seed 20] [--per-day 40] [--weeks 4]

Runs on a SQLite database of its own in a temporary file (default), or on PostgreSQL with
DATABASE_URL=postgres://… BENCH_DB=bench_dispatch (created and dropped). Each policy runs in a
transaction that is rolled back, so all four see the same empty desk and the same arrivals.

The world (all drawn from one seeded generator, before any policy runs):
- arrivals: a weekday profile (Monday busiest) × an hour profile (8:00–18:00, peaks at 10:00 and 14:00),
  Poisson per 5-minute step, plus two bursts (an outage: 15 tickets in 30 minutes, weeks 2 and 3);
- four categories, priorities P2 10 %, P3 60 %, P4 30 % (the default policy on the 9:00–18:00 calendar);
- handling times log-normal per category × level (N1 medians 35–80 min, N2 2–4 h, σ 0.6), drawn per
  ticket so every policy meets the same work; 20–35 % of N1 tickets (per category) escalate to N2 after
  half their N1 work;
- 6 N1 agents (two shifts, 8:00–16:00 and 10:00–18:00; two handle ERP only, four every category) and
  3 N2 agents (9:00–18:00, two categories each); absences (an N1 agent Tuesday–Thursday of week 2, an N2
  agent Monday of week 3) and one agent going away for an afternoon (week 3, Thursday 13:00–17:00).

How agents work: one ticket at a time, in their shift. Under "oldest first" (today) a free agent takes
the oldest unassigned ticket of their level (new, or escalated to it) that their skills cover; under the three automatic policies a free
agent works their own tickets at their level in the product's order (dispatch.selectors.agent_work_order,
the queue's "Prochains" view): earliest next deadline first (first response if not yet answered, else
resolution; N1 and N2 alike), and at a deadline-aware level the tickets whose next deadline can still be
met first, the lost ones after (under round-robin and least-loaded the order stays plain earliest deadline
first, as before); they finish a ticket before starting another (the dispatch
sweep runs every 15 minutes while someone works, for the tickets nobody could take when they arrived). Taking is the first response (ticket_take); the end of the
work resolves (ticket_resolve) or escalates (ticket_set_level → the dispatch picks an N2 agent).

Printed per policy: SLA breaches (first response, resolution), how late the breaches are (hours past the
deadline, p50/p90/max; a deadline still not met at the end counted to the end: a lost ticket served last
shows here) and the tickets still unanswered at the end, first response p50/p90 (elapsed minutes),
open tickets per present agent sampled hourly (the maximum, and the mean Gini over the samples),
reassignments (an assigned event moving a ticket from one agent to another). For the forecast (the
round-robin and deadline-aware runs, --forecast-in; forecasts_refresh every 30 minutes,
handling_stats_recompute every night): precision = of the (ticket, deadline) pairs flagged at risk at
least 30 minutes before the deadline, the share that breached; recall = of the breaches, the share
flagged that early. "If nothing was done" holds in the round-robin run: nothing there reads a margin or
a flag (agents do not act on flags, and round-robin neither evens loads nor rescues deadlines). In the
deadline-aware run the sweep moves tickets late in their queue to a colleague who meets them, so some
flagged tickets are saved by the dispatch and count as false alarms. SIM_DUMP=prefix writes each early
flag with its outcome to prefix_<policy>.jsonl. SIM_LOST_GRACE_HOURS=h (or "none") replaces the product's
dispatch.selectors.LOST_GRACE (a day) for a variant of the agents' order.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time as time_module
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 2, 0, 0, tzinfo=PARIS)  # a Monday, no public holiday in the four weeks
STEP = timedelta(minutes=5)
CATEGORIES = ["ERP", "Réseau", "Messagerie", "Postes de travail"]
N1_MEDIAN_MIN = {"ERP": 80, "Réseau": 50, "Messagerie": 35, "Postes de travail": 45}
N2_MEDIAN_MIN = {"ERP": 240, "Réseau": 150, "Messagerie": 120, "Postes de travail": 150}
ESCALATION_SHARE = {"ERP": 0.35, "Réseau": 0.25, "Messagerie": 0.2, "Postes de travail": 0.2}
SIGMA = 0.6
WEEKDAY_WEIGHT = [1.3, 1.1, 1.0, 1.0, 0.8, 0, 0]
HOUR_WEIGHT = {8: 0.6, 9: 1.2, 10: 1.6, 11: 1.3, 12: 0.6, 13: 0.9, 14: 1.5, 15: 1.3, 16: 1.0, 17: 0.6}
POLICIES = ["oldest_first", "round_robin", "least_loaded", "deadline_aware"]
EARLY_FLAG = timedelta(minutes=30)
# Minutes a forecast must pass its deadline by (negative: a margin under that many minutes), for the
# precision/recall table of other rules than the product's.
SLACKS = (-60, -30, 0, 15, 30, 60)
RULE_CEILING = 24 * 3600  # forecasts with more margin than this are flagged by no rule of the table


def setup_django(db_path: str) -> None:
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    else:
        from urllib.parse import urlparse, urlunparse

        import psycopg

        name = os.environ.get("BENCH_DB", "bench_dispatch")
        base = urlparse(os.environ["DATABASE_URL"])
        with psycopg.connect(urlunparse(base._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = urlunparse(base._replace(path="/" + name))
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    import django

    django.setup()
    from django.core.management import call_command

    template = os.environ.get("SIM_SQLITE_TEMPLATE")
    if template and os.path.exists(template) and not os.environ["DATABASE_URL"].startswith("postgres"):
        import shutil

        shutil.copyfile(template, db_path)  # a migrated copy: migrate has nothing left to do
    call_command("migrate", verbosity=0)
    if template and not os.path.exists(template) and not os.environ["DATABASE_URL"].startswith("postgres"):
        import shutil

        shutil.copyfile(db_path, template + ".part")
        os.replace(template + ".part", template)


# --- The world, drawn once


def draw_world(seed: int, per_day: float, weeks: int) -> list[dict]:
    rng = random.Random(seed)
    arrivals = []
    total_weight = sum(HOUR_WEIGHT.values())
    at = START
    end = START + timedelta(weeks=weeks)
    while at < end:
        local = at.astimezone(PARIS)
        rate = per_day * WEEKDAY_WEIGHT[local.weekday()] * HOUR_WEIGHT.get(local.hour, 0) / total_weight / 12
        count = _poisson(rng, rate)
        for _i in range(count):
            arrivals.append(at + timedelta(seconds=rng.randrange(300)))
        at += STEP
    # Two bursts: an outage on the network (weeks 2 and 3, Tuesday 10:00).
    for week in (1, 2):
        if week < weeks:
            burst = START + timedelta(weeks=week, days=1, hours=10)
            arrivals += [burst + timedelta(minutes=rng.randrange(30)) for _i in range(15)]
    arrivals.sort()
    tickets = []
    for index, at in enumerate(arrivals):
        category = rng.choice(CATEGORIES)
        if any(abs((at - (START + timedelta(weeks=w, days=1, hours=10))).total_seconds()) < 1800 for w in (1, 2)):
            category = "Réseau" if rng.random() < 0.8 else category
        roll = rng.random()
        urgency, impact = ("high", "medium") if roll < 0.10 else (("medium", "medium") if roll < 0.70 else ("low", "low"))
        n1 = timedelta(minutes=N1_MEDIAN_MIN[category] * math.exp(rng.gauss(0, SIGMA)))
        n2 = timedelta(minutes=N2_MEDIAN_MIN[category] * math.exp(rng.gauss(0, SIGMA)))
        escalates = rng.random() < ESCALATION_SHARE[category]
        tickets.append({"index": index, "at": at, "category": category, "urgency": urgency, "impact": impact,
                        "work": {"N1": n1 / 2 if escalates else n1, "N2": n2}, "escalates": escalates})
    return tickets


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


AGENTS = [
    # username, level, shift, skills (None: every category)
    ("n1_ana", "N1", "early", [None]),
    ("n1_bruno", "N1", "early", [None]),
    ("n1_chloe", "N1", "late", [None]),
    ("n1_david", "N1", "late", [None]),
    ("n1_emma", "N1", "early", ["ERP"]),
    ("n1_farid", "N1", "late", ["ERP"]),
    ("n2_gilles", "N2", "day", ["ERP", "Réseau"]),
    ("n2_helene", "N2", "day", ["Messagerie", "Postes de travail"]),
    ("n2_ines", "N2", "day", ["ERP", "Postes de travail", "Réseau", "Messagerie"]),
]
ABSENCES = [("n1_chloe", 1, 1, 3), ("n2_gilles", 2, 0, 0)]  # username, week, first day, last day
AWAY = ("n1_ana", 2, 3, 13, 17)  # username, week, weekday, from hour, to hour


def build_desk() -> dict:
    """Calendars, categories, agents, skills, absences and the SLA policy on the business calendar."""
    from django.contrib.auth.models import Group, User

    from dispatch.models import Absence, AgentProfile, Skill
    from sla.models import BusinessCalendar, SlaPolicy
    from sla.services import sla_calendar_save
    from tickets.models import Category

    business = BusinessCalendar.objects.get(name="Jours ouvrés 9h–18h")
    SlaPolicy.objects.filter(is_default=True).update(calendar=business)
    shifts = {"day": business}
    for name, start, end in (("early", 8, 16), ("late", 10, 18)):
        calendar = BusinessCalendar(name=f"Équipe {name}", time_zone="Europe/Paris", holiday_country="FR")
        shifts[name] = sla_calendar_save(calendar=calendar, hours=[(d, time(start), time(end)) for d in range(5)],
                                         holidays=[])
    categories = {name: Category.objects.get_or_create(name=name, parent=None)[0] for name in CATEGORIES}
    requester = User.objects.create_user("sim_requester", email="req@example.org", first_name="Sim", last_name="User")
    agents = {}
    for username, level, shift, skills in AGENTS:
        user = User.objects.create_user(username, email=f"{username}@example.org", first_name=username[3:].title(),
                                        last_name=level)
        user.groups.add(Group.objects.get_or_create(name=level)[0])
        AgentProfile.objects.create(agent=user, calendar=shifts[shift])
        for skill in skills:
            Skill.objects.create(agent=user, level=level, category=categories[skill] if skill else None)
        agents[username] = {"user": user, "level": level, "skills": skills, "calendar": shifts[shift]}
    for username, week, first, last in ABSENCES:
        day = START.date() + timedelta(weeks=week)
        Absence.objects.create(agent=agents[username]["user"], starts_on=day + timedelta(days=first),
                               ends_on=day + timedelta(days=last))
    manager = User.objects.create_user("sim_manager", email="m@example.org")
    manager.groups.add(Group.objects.get_or_create(name="Manager")[0])
    return {"agents": agents, "categories": categories, "requester": requester}


# --- One run


class Run:
    def __init__(self, policy: str, world: list[dict], desk: dict, traveller, *, forecast: bool,
                 previous: list[dict] | None = None) -> None:
        self.policy, self.world, self.desk, self.traveller, self.forecast = policy, world, desk, traveller, forecast
        self.previous = previous or []
        self.seed_stats = bool(previous)
        self.agents = desk["agents"]
        self.current: dict[str, int | None] = {name: None for name in self.agents}  # ticket pk being worked
        self.remaining: dict[tuple[int, str], timedelta] = {}  # (ticket pk, level) → work left
        self.spec: dict[int, dict] = {}  # ticket pk → world row
        self.flags: dict[tuple[int, str], datetime] = {}  # (ticket pk, target) → first flagged with its due
        self.flag_info: dict[tuple[int, str], dict] = {}
        self.open_samples: list[list[int]] = []
        self.comparable_samples: list[list[int]] = []
        self.slack_flags: dict[object, dict] = {slack: {} for slack in (*SLACKS, "spread")}
        self.away_now = False

    def present(self, name: str, now: datetime) -> bool:
        from dispatch.selectors import present_until, working_calendar

        agent = self.agents[name]
        working, _until = present_until(working_calendar(agent["calendar"]), now)
        if not working:
            return False
        local = now.astimezone(PARIS)
        for username, week, first, last in ABSENCES:
            day0 = START.date() + timedelta(weeks=week)
            if username == name and day0 + timedelta(days=first) <= local.date() <= day0 + timedelta(days=last):
                return False
        return not (self.away_now and name == AWAY[0])

    def run(self) -> dict:
        from dispatch.models import LevelSetting, Policy
        from dispatch.services import dispatch_sweep, forecasts_refresh, handling_stats_recompute
        from tickets import services as ticket_services
        from tickets.models import Ticket

        policy = Policy.OFF if self.policy == "oldest_first" else self.policy
        if os.environ.get("SIM_LOST_GRACE_HOURS"):  # a variant of the product's rule, for the table
            import dispatch.selectors

            hours = os.environ["SIM_LOST_GRACE_HOURS"]
            dispatch.selectors.LOST_GRACE = None if hours == "none" else timedelta(hours=float(hours))
        LevelSetting.objects.update(policy=policy, max_open=8)
        if self.seed_stats:
            self._seed_previous_month()
        arrivals = list(self.world)
        now = START
        end = START + timedelta(weeks=max(1, math.ceil((self.world[-1]["at"] - START).days / 7)))
        # A last day to let the queue drain is not counted: open tickets at the end count as they stand.
        pointer = 0
        while now < end:
            self.traveller.move_to(now)
            local = now.astimezone(PARIS)
            self._toggle_away(local)
            while pointer < len(arrivals) and arrivals[pointer]["at"] <= now:
                row = arrivals[pointer]
                pointer += 1
                ticket = ticket_services.ticket_create(
                    requester=self.desk["requester"], title=f"Ticket {row['index']}", description="…",
                    ticket_type="incident", urgency=row["urgency"], impact=row["impact"],
                    category=self.desk["categories"][row["category"]])
                self.spec[ticket.pk] = row
                self.remaining[(ticket.pk, "N1")] = row["work"]["N1"]
                self.remaining[(ticket.pk, "N2")] = row["work"]["N2"]
            # The sweep gives nothing while nobody works (no one could receive): skipped, the same decisions.
            if policy != Policy.OFF and local.minute % 15 == 0 and any(self.present(n, now) for n in self.agents):
                dispatch_sweep(now=now)
            if self.forecast and local.hour == 3 and local.minute == 0:
                handling_stats_recompute(now=now)
            # While nobody works, no queue moves and the forecasts (in working time) stand as they were.
            if self.forecast and local.minute % 30 == 0 and any(self.present(n, now) for n in self.agents):
                forecasts_refresh(now=now, alert=False)
                self._record_flags(now)
            if local.minute == 0 and local.weekday() < 5 and 9 <= local.hour < 18:
                self._sample_open(now)
            for name in self.agents:
                if self.present(name, now):
                    self._work(name, now, STEP, ticket_services, Ticket)
            now += STEP
        self.traveller.move_to(end)
        return self._measure(end)

    def _seed_previous_month(self) -> None:
        """The desk is not new: the handling times observed the month before (another draw of the same
        world, as handling_stats_recompute would have measured them: the time worked per category × level)
        are in the table on the first day, instead of the one-hour default."""
        from collections import defaultdict

        from dispatch.models import HandlingStat
        from dispatch.services.forecast import MIN_SAMPLES, percentile

        worked = defaultdict(list)
        for row in self.previous:
            levels = ("N1", "N2") if row["escalates"] else ("N1",)
            for level in levels:
                seconds = row["work"][level].total_seconds()
                for key in ((self.desk["categories"][row["category"]].pk, level), (None, level)):
                    worked[key].append(seconds)
        HandlingStat.objects.all().delete()
        HandlingStat.objects.bulk_create([
            HandlingStat(category_id=category_id, level=level, samples=len(values),
                         handling_p50=int(percentile(values, 0.5)), handling_p90=int(percentile(values, 0.9)),
                         computed_at=START)
            for (category_id, level), values in worked.items() if category_id is None or len(values) >= MIN_SAMPLES])

    def _toggle_away(self, local: datetime) -> None:
        from dispatch.services import agent_set_availability

        name, week, weekday, start, stop = AWAY
        day = (START + timedelta(weeks=week, days=weekday)).date()
        want = local.date() == day and start <= local.hour < stop
        if want != self.away_now:
            self.away_now = want
            user = self.agents[name]["user"]
            if self.policy != "oldest_first":
                agent_set_availability(agent=user, actor=user, available=not want)

    def _work(self, name: str, now: datetime, budget: timedelta, ticket_services, Ticket) -> None:
        agent = self.agents[name]
        level = agent["level"]
        while budget > timedelta(0):
            pk = self.current[name]
            if pk is None:
                pk = self._pick(name, now, ticket_services, Ticket)
                if pk is None:
                    return
            key = (pk, level)
            spent = min(budget, self.remaining[key])
            self.remaining[key] -= spent
            budget -= spent
            if self.remaining[key] <= timedelta(0):
                self._finish(name, pk, now, ticket_services, Ticket)
                self.current[name] = None

    def _pick(self, name: str, now: datetime, ticket_services, Ticket) -> int | None:
        agent = self.agents[name]
        user, level = agent["user"], agent["level"]
        if self.policy == "oldest_first":
            candidates = Ticket.objects.filter(level=level, status__in=["new", "in_progress"], assignee__isnull=True)
            mine = Ticket.objects.filter(assignee=user, status__in=["new", "in_progress"]).order_by("created_at")
            ticket = mine.first()
            if ticket is None:
                for candidate in candidates.order_by("created_at", "pk")[:50]:
                    if None in agent["skills"] or candidate.category.name in agent["skills"]:
                        ticket = candidate
                        break
        else:
            # The agent's next ticket as the product tells them (dispatch.selectors.agent_work_order, the
            # "Prochains" view): earliest next deadline first (the first response for a ticket not yet
            # answered, else the resolution); at a deadline-aware level, the tickets whose next deadline
            # can still be met first, the lost ones after. Tickets waiting for the requester are skipped.
            from dispatch.selectors import agent_work_order

            workable = [q.pk for q in agent_work_order(user, now=now, level=level)]
            mine = {t.pk: t for t in Ticket.objects.filter(pk__in=workable, status__in=["new", "in_progress"])}
            ticket = next((mine[pk] for pk in workable if pk in mine), None)
        if ticket is None:
            return None
        if ticket.status == "new":
            ticket_services.ticket_take(ticket=ticket, actor=user)
        elif ticket.assignee_id is None:
            ticket_services.ticket_assign(ticket=ticket, actor=user, assignee=user)
        self.current[name] = ticket.pk
        return ticket.pk

    def _finish(self, name: str, pk: int, now: datetime, ticket_services, Ticket) -> None:
        user = self.agents[name]["user"]
        ticket = Ticket.objects.get(pk=pk)
        if ticket.level == "N1" and self.spec[pk]["escalates"]:
            ticket_services.ticket_set_level(ticket=ticket, actor=user, level="N2", reason="skill_unavailable")
        else:
            ticket_services.ticket_resolve(ticket=ticket, actor=user, solution="Fait.")

    def _record_flags(self, now: datetime) -> None:
        from dispatch.models import Forecast
        from dispatch.selectors import HandlingTable

        table = HandlingTable()
        for (ticket_id, at_risk, target, margin, response_due, resolution_due, category_id, level, responded,
             assignee_id, status) in (
                Forecast.objects.filter(margin_seconds__lt=RULE_CEILING).values_list(
                    "ticket_id", "at_risk", "risk_target", "margin_seconds", "ticket__response_due_at",
                    "ticket__resolution_due_at", "ticket__category_id", "ticket__level", "ticket__first_response_at",
                    "ticket__assignee_id", "ticket__status")):
            target = target or ("resolution" if responded else "response")
            due = response_due if target == "response" else resolution_due
            if at_risk:
                if (ticket_id, target) not in self.flags:
                    present = None
                    if assignee_id:
                        name = next(n for n, a in self.agents.items() if a["user"].pk == assignee_id)
                        present = self.present(name, now)
                    self.flag_info[(ticket_id, target)] = {
                        "at": now.isoformat(), "margin": margin, "level": level, "assignee": assignee_id,
                        "present": present, "status": status, "due": due.isoformat() if due else None,
                        "priority": self.spec[ticket_id]["urgency"]}
                self.flags.setdefault((ticket_id, target), (now, due))
            # Other rules, for the table: late by more than a slack (> 0), within a margin (< 0), or
            # within the ticket's own spread of handling times (p90 − p50).
            for slack in SLACKS:
                if margin is not None and margin < -slack * 60:
                    self.slack_flags[slack].setdefault((ticket_id, target), (now, due))
            p50, p90 = table.handling(category_id, level)
            if margin is not None and margin < (p90 - p50).total_seconds():
                self.slack_flags["spread"].setdefault((ticket_id, target), (now, due))

    def _sample_open(self, now: datetime) -> None:
        from django.db.models import Count

        from tickets.models import Ticket

        counts = dict(Ticket.objects.filter(status__in=["new", "in_progress", "waiting"], assignee__isnull=False)
                      .values("assignee_id").annotate(n=Count("pk")).values_list("assignee_id", "n"))
        for level in ("N1", "N2"):
            present = [a["user"].pk for n, a in self.agents.items() if a["level"] == level and self.present(n, now)]
            if len(present) >= 2:
                self.open_samples.append([counts.get(pk, 0) for pk in present])
            # Comparable agents: present at the level with the same skills (the generalists of N1 apart
            # from its ERP-only agents, who by construction receive fewer tickets).
            groups = {}
            for n, a in self.agents.items():
                if a["level"] == level and self.present(n, now):
                    groups.setdefault(tuple(sorted(map(str, a["skills"]))), []).append(a["user"].pk)
            for pks in groups.values():
                if len(pks) >= 2:
                    self.comparable_samples.append([counts.get(pk, 0) for pk in pks])

    def _measure(self, end: datetime) -> dict:
        from tickets.models import EventKind, Ticket, TicketEvent

        tickets = list(Ticket.objects.values("pk", "created_at", "first_response_at", "resolved_at",
                                             "response_due_at", "resolution_due_at"))
        breaches = {"response": set(), "resolution": set()}
        waits = []
        late = []  # hours past the deadline of each breach (a deadline still not met at the end: to the end)
        for t in tickets:
            responded = t["first_response_at"] or end
            if t["response_due_at"] and responded > t["response_due_at"]:
                breaches["response"].add(t["pk"])
                late.append((responded - t["response_due_at"]).total_seconds() / 3600)
            resolved = t["resolved_at"] or end
            if t["resolution_due_at"] and resolved > t["resolution_due_at"]:
                breaches["resolution"].add(t["pk"])
                late.append((resolved - t["resolution_due_at"]).total_seconds() / 3600)
            if t["first_response_at"]:
                waits.append((t["first_response_at"] - t["created_at"]).total_seconds() / 60)
        reassignments = sum(1 for data in TicketEvent.objects.filter(kind=EventKind.ASSIGNED).values_list("data", flat=True)
                            if data.get("from") and data.get("to") and data["from"] != data["to"])
        result = {
            "tickets": len(tickets),
            "breach_response": len(breaches["response"]), "breach_resolution": len(breaches["resolution"]),
            "fr_p50": _pct(waits, 0.5), "fr_p90": _pct(waits, 0.9),
            "open_max": max((max(s) for s in self.open_samples), default=0),
            "gini": statistics.fmean(gini(s) for s in self.open_samples) if self.open_samples else 0.0,
            "gini_comparable": (statistics.fmean(gini(s) for s in self.comparable_samples)
                                if self.comparable_samples else 0.0),
            "reassignments": reassignments,
            "late_p50": _pct(late, 0.5), "late_p90": _pct(late, 0.9), "late_max": max(late, default=0.0),
            "unanswered": sum(1 for t in tickets if t["first_response_at"] is None),
        }
        if self.forecast:
            early = {key for key, (flagged_at, due) in self.flags.items() if due and due - flagged_at >= EARLY_FLAG}
            breached = {(pk, target) for target, pks in breaches.items() for pk in pks}
            if os.environ.get("SIM_DUMP"):
                import json

                moved = {}
                for pk, data, at in TicketEvent.objects.filter(kind=EventKind.ASSIGNED).values_list(
                        "ticket_id", "data", "created_at"):
                    moved.setdefault(pk, []).append((at, data.get("to")))
                done = {t["pk"]: t for t in tickets}
                with open(f"{os.environ['SIM_DUMP']}_{self.policy}.jsonl", "w") as out:
                    for key in sorted(early):
                        pk, target = key
                        info = dict(self.flag_info.get(key, {}), pk=pk, target=target, breached=key in breached)
                        flagged_at = self.flags[key][0]
                        info["moved_after"] = sum(1 for at, _to in moved.get(pk, []) if at > flagged_at)
                        got = done[pk]["first_response_at" if target == "response" else "resolved_at"]
                        info["actual"] = got.isoformat() if got else None
                        out.write(json.dumps(info) + "\n")
            result["flagged_early"] = len(early)
            result["breaches"] = len(breached)
            result["precision"] = len(early & breached) / len(early) if early else float("nan")
            result["recall"] = len(early & breached) / len(breached) if breached else float("nan")
            result["slacks"] = {}
            for slack, flags in self.slack_flags.items():
                early = {key for key, (flagged_at, due) in flags.items() if due and due - flagged_at >= EARLY_FLAG}
                result["slacks"][slack] = (len(early), len(early & breached) / len(early) if early else float("nan"),
                                           len(early & breached) / len(breached) if breached else float("nan"))
        return result


def _pct(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def gini(values: list[int]) -> float:
    """0: every agent holds as many open tickets; 1: one holds them all."""
    n, total = len(values), sum(values)
    if n == 0 or total == 0:
        return 0.0
    ordered = sorted(values)
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--per-day", type=float, default=40.0, help="mean tickets per weekday")
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--policies", nargs="*", default=POLICIES)
    parser.add_argument("--forecast-in", nargs="*", default=["round_robin", "deadline_aware"],
                        help="the runs in which the forecast is refreshed and checked")
    parser.add_argument("--cold", action="store_true",
                        help="start with an empty handling-time table (no previous month observed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time_module.monotonic()
        setup_django(str(Path(folder) / "sim.sqlite3"))
        import time_machine
        from django.db import connection, transaction

        world = draw_world(args.seed, args.per_day, args.weeks)
        previous = [] if args.cold else draw_world(args.seed + 1000, args.per_day, args.weeks)
        print(f"dispatch_sim: seed {args.seed}, {args.weeks} weeks, {len(world)} tickets, {len(AGENTS)} agents, "
              f"database {connection.vendor}, handling times "
              f"{'cold (1 h default)' if args.cold else 'seeded from a previous month (seed + 1000)'}, "
              f"lost tickets' grace {os.environ.get('SIM_LOST_GRACE_HOURS') or 'product default (24 h)'}")
        results = {}
        with time_machine.travel(START, tick=False) as traveller:
            for policy in args.policies:
                began = time_module.monotonic()
                with transaction.atomic():
                    desk = build_desk()
                    results[policy] = Run(policy, world, desk, traveller, forecast=policy in args.forecast_in,
                                          previous=previous).run()
                    transaction.set_rollback(True)
                r = results[policy]
                # Each policy's figures as soon as it ends: a run cut short keeps what it measured.
                print(f"  {policy}: {time_module.monotonic() - began:.0f} s — breaches {r['breach_response']} + "
                      f"{r['breach_resolution']}, first response p50/p90 {r['fr_p50']:.0f}/{r['fr_p90']:.0f} min, "
                      f"Gini {r['gini']:.2f} (comparable agents {r['gini_comparable']:.2f}), reassignments "
                      f"{r['reassignments']}; breaches late by p50/p90/max {r['late_p50']:.1f}/{r['late_p90']:.1f}/"
                      f"{r['late_max']:.1f} h, {r['unanswered']} unanswered at the end", flush=True)
        print()
        print("| policy | breaches (response) | breaches (resolution) | total | first response p50 / p90 (min) "
              "| open per agent max | Gini (all present) | Gini (comparable agents) | reassignments "
              "| breaches late by p50 / p90 / max (h) | unanswered at the end |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for policy, r in results.items():
            print(f"| {policy} | {r['breach_response']} | {r['breach_resolution']} | "
                  f"{r['breach_response'] + r['breach_resolution']} | {r['fr_p50']:.0f} / {r['fr_p90']:.0f} | "
                  f"{r['open_max']} | {r['gini']:.2f} | {r['gini_comparable']:.2f} | {r['reassignments']} | "
                  f"{r['late_p50']:.1f} / {r['late_p90']:.1f} / {r['late_max']:.1f} | {r['unanswered']} |")
        if "round_robin" in results and "deadline_aware" in results:
            rr = results["round_robin"]["breach_response"] + results["round_robin"]["breach_resolution"]
            da = results["deadline_aware"]["breach_response"] + results["deadline_aware"]["breach_resolution"]
            print(f"\ndeadline-aware vs round-robin: {da} vs {rr} breaches, "
                  f"{(1 - da / rr) * 100 if rr else float('nan'):.0f} % fewer (target ≥ 30 %)")
        for policy, r in results.items():
            if "precision" not in r:
                continue
            print(f"forecast ({policy} run): {r['flagged_early']} (ticket, deadline) pairs flagged ≥ 30 min "
                  f"before, {r['breaches']} breaches; precision {r['precision']:.2f}, recall {r['recall']:.2f} "
                  f"(targets ≥ 0.8)")
            for slack, (flagged, precision, recall) in r["slacks"].items():
                rule = ("a margin under the ticket's p90 − p50 handling time" if slack == "spread" else
                        f"the forecast late by > {slack} min" if slack >= 0 else f"a margin under {-slack} min")
                print(f"  had 'at risk' needed {rule}: {flagged} flagged, "
                      f"precision {precision:.2f}, recall {recall:.2f}")
        print(f"\nwall time {time_module.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
