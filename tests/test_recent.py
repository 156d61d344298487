"""core.recent.Recent: the most recently used values of a process, bounded, safe across threads."""

from __future__ import annotations

import threading

from core.recent import Recent


def test_a_get_counts_as_a_use_and_a_put_beyond_the_size_drops_the_least_recently_used():
    kept = Recent(2)
    kept.put("a", 1)
    kept.put("b", 2)

    assert kept.get("a") == 1  # "b" is now the least recently used
    kept.put("c", 3)

    assert kept.get("b") is None
    assert (kept.get("a"), kept.get("c"), len(kept)) == (1, 3, 2)
    kept.put("a", 10)  # a new value for a key kept: no drop
    assert sorted(kept) == ["a", "c"] and kept.get("a") == 10


def test_the_size_may_change_and_clear_empties_it():
    kept = Recent(3)
    for key in "abc":
        kept.put(key, key.upper())
    kept.size = 1
    kept.put("d", "D")

    assert list(kept) == ["d"]
    kept.clear()
    assert len(kept) == 0 and not kept


def test_threads_putting_at_once_never_see_more_than_the_size():
    kept = Recent(8)
    errors = []

    def work(offset):
        for n in range(2000):
            key = (offset, n)
            kept.put(key, n)
            if len(kept) > 8:
                errors.append("over the size")

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and len(kept) == 8
