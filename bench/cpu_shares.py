"""Where the machine's CPU went during a load (issue 16): per group of processes (the server under test, PostgreSQL,
Redis, the bench's own client) and the machine's whole, from Linux's /proc.

On this 2-core machine the clients, the servers and the database share the cores: a server's throughput is
bounded by what everything else takes. `server CPU ms` (bench/counted_wsgi.py) is the request's own thread; this
adds the rest of the bill: the gunicorn processes' whole time (HTTP parsing, accept, threads handing over), the
database's backends and background writers, Redis, the client, the kernel's share outside any of them, and the
time the hypervisor took from the machine (steal), which tells a slow host from slow code.

    shares = CpuShares({"product": gunicorn.pid, "Redis": redis.pid})
    before = shares.snapshot()
    …
    spent = shares.since(before)   # seconds of CPU per group, plus "machine", "idle", "steal"
"""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")
# /proc/stat's "cpu" line: user nice system idle iowait irq softirq steal
BUSY_FIELDS, IDLE_FIELDS, STEAL_FIELD = (0, 1, 2, 5, 6), (3, 4), 7


def _process_ticks() -> dict[int, tuple[int, str, int]]:
    """pid → (parent pid, command, user + system ticks) of every process still there."""
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended while listed
            continue
        # "pid (comm) state ppid … utime stime …": comm may hold spaces and parentheses, so split after its end.
        command = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(entry.name)] = (int(fields[1]), command, int(fields[11]) + int(fields[12]))
    return found


def _machine_ticks() -> tuple[int, int, int]:
    """(busy, idle, stolen) ticks of all the cores."""
    values = [int(v) for v in (PROC / "stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[i] for i in BUSY_FIELDS), sum(values[i] for i in IDLE_FIELDS),
            values[STEAL_FIELD] if len(values) > STEAL_FIELD else 0)


class CpuShares:
    """roots: group name → the pid of a process whose children belong to the group as well (a gunicorn master
    and its workers). PostgreSQL's processes are found by their name; the client is this process."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = {pid: group for group, pid in roots.items()}
        self.roots[os.getpid()] = "client"
        self.groups = [*roots, "PostgreSQL", "client"]

    def _group(self, pid: int, parent: int, command: str) -> str | None:
        if pid in self.roots:
            return self.roots[pid]
        if parent in self.roots and self.roots[parent] != "client":
            return self.roots[parent]
        return "PostgreSQL" if command == "postgres" else None

    def snapshot(self) -> dict:
        return {"processes": _process_ticks(), "machine": _machine_ticks()}

    def since(self, before: dict) -> dict[str, float]:
        """Seconds of CPU per group since `before`; "machine" (every core's busy time), "idle" and "steal";
        "rest" is the machine's busy time outside the groups (the kernel's network work, other processes)."""
        after = self.snapshot()
        spent = dict.fromkeys(self.groups, 0.0)
        earlier = before["processes"]
        for pid, (parent, command, ticks) in after["processes"].items():
            group = self._group(pid, parent, command)
            if group is None:
                continue
            # A process born during the load (a new database backend) counts from zero; one that ended is lost.
            start = earlier[pid][2] if pid in earlier and earlier[pid][1] == command else 0
            spent[group] += (ticks - start) / TICK
        busy, idle, steal = (b - a for a, b in zip(before["machine"], after["machine"], strict=True))
        spent["machine"], spent["idle"], spent["steal"] = busy / TICK, idle / TICK, steal / TICK
        spent["rest"] = max(0.0, spent["machine"] - sum(spent[g] for g in self.groups))
        return spent
