"""CPU budget of a ticket submission (issue 16), counted, not timed: on two cores the CPU spent per request
is the throughput, and the Python function calls a submission makes follow its CPU time without depending
on the machine's load. A change that adds work to every submission (a receiver's fan-out, a query compiled
anew, a form deep-copied) shows here; bench/profile_requests.py says where the calls go.
"""

from __future__ import annotations

import cProfile
import pstats

from tests.factories import CategoryFactory

# Python function calls of POST /tickets/new/ for an ordinary ticket, warm (the third request of its
# kind): 9,565 on SQLite and 9,698 on PostgreSQL when this budget was set (9,920 and 10,109 before the SLA
# deadlines went into the ticket's INSERT and the reference came from a sequence on PostgreSQL; 10,186 on
# SQLite and 10,251 on PostgreSQL at the budget before, 10,900; 12,107 on SQLite before the
# request's INSERTs were written once by core.db.insert_rows and the form's layout built only for a page;
# 14,006 before the request's user had its query compiled once and the recurring rule its counts written
# in SQL). Raise it only with a reason in the commit message.
SUBMISSION_CALLS = 10_200


def _form(category, n: int) -> dict:
    return {"ticket_type": "incident", "category": category.pk, "title": f"Imprimante hors service {n}",
            "description": "Rien ne répond depuis ce matin.", "urgency": "medium", "impact": "low"}


def test_a_submission_stays_within_its_function_call_budget(client, requester, settings):
    # The same count wherever it runs: a memory cache and database sessions (CI has Redis for both, whose
    # client makes more calls per read).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "submission-cpu-budget"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    categories = [CategoryFactory(name=f"Imprimantes {n}") for n in range(3)]  # none is recurring
    client.force_login(requester)
    client.post("/tickets/new/", _form(categories[0], 0))
    client.post("/tickets/new/", _form(categories[1], 1))

    profiler = cProfile.Profile()
    profiler.enable()
    response = client.post("/tickets/new/", _form(categories[2], 2))
    profiler.disable()

    assert response.status_code == 302
    calls = pstats.Stats(profiler).total_calls
    print(f"{calls} function calls")
    assert calls <= SUBMISSION_CALLS, f"{calls} function calls (budget {SUBMISSION_CALLS})"
