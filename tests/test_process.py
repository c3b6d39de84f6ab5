"""Process settings for long-running network work."""

from __future__ import annotations

import gc
import weakref

from ecohub.process import GC_YOUNG_THRESHOLD, raise_fd_limit, tune_gc


class _Node:
    other: object = None


def test_tune_gc_freezes_start_up_and_raises_the_young_threshold() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
        # Collections still happen: a cycle made after tuning is freed by a collection.
        cycle = _Node()
        cycle.other = cycle
        ref = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert ref() is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_fd_limit_is_at_least_what_it_was() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert raise_fd_limit() >= soft
