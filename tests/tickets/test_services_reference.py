"""Ticket references: `YYYY-NNNNNN`, sequential per year, never duplicated, even under concurrency.

PostgreSQL takes the numbers from a sequence per year (no lock held to COMMIT: a creation rolled back leaves
its number unused); SQLite from the TicketSequence row (gapless)."""

from __future__ import annotations

import re
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from tests.factories import make_ticket
from tickets.models import Ticket, TicketSequence

PARIS = ZoneInfo("Europe/Paris")
REFERENCE = re.compile(r"^(\d{4})-(\d{6})$")


def _number(reference: str) -> int:
    return int(REFERENCE.match(reference).group(2))


def test_a_reference_is_the_year_of_creation_and_a_six_digit_number(requester, category):
    with time_machine.travel(datetime(2031, 6, 15, 10, 0, tzinfo=PARIS), tick=False):
        ticket = make_ticket(requester=requester, category=category)

    assert REFERENCE.match(ticket.reference)
    assert ticket.reference == "2031-000001"
    assert Ticket.objects.get(pk=ticket.pk).reference == "2031-000001"


def test_references_follow_each_other_without_gaps(requester, category):
    with time_machine.travel(datetime(2032, 3, 1, 9, 0, tzinfo=PARIS), tick=False):
        references = [make_ticket(requester=requester, category=category).reference for _ in range(5)]

    assert references == [f"2032-{n:06d}" for n in range(1, 6)]


def test_the_sequence_restarts_at_one_each_new_year(requester, category):
    with time_machine.travel(datetime(2033, 12, 31, 23, 58, tzinfo=PARIS), tick=False) as clock:
        last_of_year = [make_ticket(requester=requester, category=category).reference for _ in range(3)]
        clock.move_to(datetime(2034, 1, 1, 0, 1, tzinfo=PARIS))
        first_of_year = [make_ticket(requester=requester, category=category).reference for _ in range(2)]

    assert last_of_year == ["2033-000001", "2033-000002", "2033-000003"]
    assert first_of_year == ["2034-000001", "2034-000002"]
    if connection.vendor == "sqlite":
        assert dict(TicketSequence.objects.filter(year__in=[2033, 2034]).values_list("year", "last_number")) == {
            2033: 3, 2034: 2,
        }


def test_the_year_of_a_reference_is_the_year_in_paris_not_in_utc(requester, category):
    # 23:30 UTC on New Year's Eve is already 00:30 on New Year's Day in Paris.
    with time_machine.travel(datetime(2035, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        ticket = make_ticket(requester=requester, category=category)

    assert ticket.reference == "2036-000001"


def test_a_creation_that_rolls_back_leaves_no_duplicate(requester, category):
    # SQLite: the number is given back with the row's UPDATE. PostgreSQL: the sequence's number is used up
    # (nextval is outside transactions: that is what spares the lock to COMMIT), the next ticket takes the
    # following one.
    with time_machine.travel(datetime(2037, 5, 4, 12, 0, tzinfo=PARIS), tick=False):
        first = make_ticket(requester=requester, category=category)
        with pytest.raises(RuntimeError), transaction.atomic():
            make_ticket(requester=requester, category=category)
            raise RuntimeError("the request failed after the ticket was created")
        second = make_ticket(requester=requester, category=category)

    expected = "2037-000002" if connection.vendor == "sqlite" else "2037-000003"
    assert (first.reference, second.reference) == ("2037-000001", expected)
    assert Ticket.objects.filter(reference__startswith="2037-").count() == 2


def test_the_first_ticket_of_a_year_rolled_back_leaves_the_next_one_working(requester, category):
    # PostgreSQL: the year's sequence was created in the transaction that rolled back, and is gone with it.
    with time_machine.travel(datetime(2039, 1, 1, 8, 0, tzinfo=PARIS), tick=False):
        with pytest.raises(RuntimeError), transaction.atomic():
            make_ticket(requester=requester, category=category)
            raise RuntimeError("the request failed after the ticket was created")
        ticket = make_ticket(requester=requester, category=category)

    assert ticket.reference == "2039-000001"


def test_a_years_numbers_continue_from_its_counter(requester, category):
    # The numbers given before PostgreSQL's sequences (or by SQLite's way on the same data) are not given again.
    TicketSequence.objects.create(year=2038, last_number=41)
    with time_machine.travel(datetime(2038, 2, 1, 9, 0, tzinfo=PARIS), tick=False):
        references = [make_ticket(requester=requester, category=category).reference for _ in range(2)]

    assert references == ["2038-000042", "2038-000043"]


def test_two_tickets_can_never_share_a_reference(requester, category):
    ticket = make_ticket(requester=requester, category=category)

    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(reference=ticket.reference, title="Doublon", description="-", requester=requester)


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_get_distinct_references_with_no_gap(requester, category):
    if connection.vendor == "sqlite":
        pytest.skip("concurrent writers need PostgreSQL (CI runs on it)")
    _forget_year_sequence()
    threads_count, per_thread = 8, 10
    barrier = threading.Barrier(threads_count)
    references: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create_tickets():
        try:
            barrier.wait()
            for _ in range(per_thread):
                reference = make_ticket(requester=requester, category=category).reference
                with lock:
                    references.append(reference)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread's assertion
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_tickets) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = threads_count * per_thread
    assert len(references) == total
    assert len(set(references)) == total
    years = {REFERENCE.match(reference).group(1) for reference in references}
    assert len(years) == 1
    assert sorted(_number(reference) for reference in references) == list(range(1, total + 1))
    assert Ticket.objects.count() == total
    _forget_year_sequence()


def _forget_year_sequence() -> None:
    """Drop this year's reference sequence (committed by a test that commits, it outlives its rows)."""
    from django.utils import timezone

    from tickets.services import lifecycle

    year = timezone.localdate().year
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SEQUENCE IF EXISTS "{lifecycle.year_sequence(year)}"')


def test_the_reference_is_written_by_the_tickets_insert_and_holds_no_lock_on_postgresql(requester, category):
    """The number is taken before the ticket's INSERT, which writes it: the row is never updated for its
    reference. PostgreSQL: from the year's sequence, no row of a counter written (concurrent submissions
    wait for nothing). SQLite: the counter row's UPDATE, the creation's first write."""
    from django.test.utils import CaptureQueriesContext

    make_ticket(requester=requester, category=category)  # the year's row or sequence exists, as all year but once
    with CaptureQueriesContext(connection) as captured:
        ticket = make_ticket(requester=requester, category=category)

    statements = [query["sql"] for query in captured.captured_queries]
    writes = [sql for sql in statements if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "WITH"))]
    ticket_insert = next(i for i, sql in enumerate(writes) if sql.startswith('INSERT INTO "tickets_ticket" '))
    assert ticket.reference in writes[ticket_insert]
    assert not [sql for sql in writes if sql.startswith('UPDATE "tickets_ticket"') and '"reference"' in sql]
    if connection.vendor == "postgresql":
        assert not [sql for sql in writes if "tickets_ticketsequence" in sql]
        taken = next(i for i, sql in enumerate(statements) if "nextval" in sql)
        assert taken < statements.index(writes[ticket_insert])
    else:
        assert "tickets_ticketsequence" in writes[0] and ticket_insert == 1
    assert REFERENCE.match(ticket.reference)
    assert Ticket.objects.get(pk=ticket.pk).reference == ticket.reference


def test_every_receiver_of_a_creation_sees_the_final_reference(requester, category):
    from tickets.signals import ticket_created, ticket_creating, ticket_referenced

    seen = {}

    def watch(name):
        def receiver(sender, ticket, **kwargs):
            seen[name] = ticket.reference

        return receiver

    receivers = {name: watch(name) for name in ("creating", "created", "referenced")}
    ticket_creating.connect(receivers["creating"], dispatch_uid="test.creating")
    ticket_created.connect(receivers["created"], dispatch_uid="test.created")
    ticket_referenced.connect(receivers["referenced"], dispatch_uid="test.referenced")
    try:
        ticket = make_ticket(requester=requester, category=category)
    finally:
        ticket_creating.disconnect(dispatch_uid="test.creating")
        ticket_created.disconnect(dispatch_uid="test.created")
        ticket_referenced.disconnect(dispatch_uid="test.referenced")

    assert REFERENCE.match(ticket.reference)
    assert seen == {"creating": ticket.reference, "created": ticket.reference, "referenced": ticket.reference}
