"""PostgreSQL's plan of a statement, as the list of its nodes, for the tests that hold a read to its index."""

from __future__ import annotations

import json

from django.db import connection


def plan_nodes(sql: str, params=None) -> list[dict]:
    """EXPLAIN (FORMAT JSON) of the statement: every node of its plan, the root first."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes, pending = [], [plan[0]["Plan"]]
    while pending:
        node = pending.pop(0)
        nodes.append(node)
        pending.extend(node.get("Plans", []))
    return nodes
