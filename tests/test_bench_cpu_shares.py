"""bench/cpu_shares.py: the CPU a load cost, told apart by process group (bench/http_load.py's second table)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from bench.cpu_shares import CpuShares

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc")

# A gunicorn master's shape: a parent that waits, its child that works.
PARENT_OF_A_BURNER = (
    "import subprocess, sys\n"
    "burn = 'import time\\nend = time.process_time() + 5\\nwhile time.process_time() < end: pass\\n'\n"
    "subprocess.run([sys.executable, '-c', burn])\n"
)


def burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_the_children_of_a_root_count_for_its_group_and_this_process_is_the_client():
    server = subprocess.Popen([sys.executable, "-c", PARENT_OF_A_BURNER], start_new_session=True)
    try:
        time.sleep(0.5)  # the child is burning
        shares = CpuShares({"server": server.pid})
        before = shares.snapshot()
        time.sleep(0.5)
        idle_client = shares.since(before)
        before = shares.snapshot()
        burn(0.3)
        busy_client = shares.since(before)
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    assert idle_client["server"] >= 0.2  # the child's burn (one core of the machine's), its parent asleep
    assert idle_client["client"] < 0.1
    assert busy_client["client"] >= 0.25
    assert idle_client["machine"] >= 0.25  # every core's busy time, the burn among it
    assert {"server", "PostgreSQL", "client", "rest", "idle", "steal"} <= set(idle_client)
