"""Process settings for long-running network work."""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

import pytest

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


def test_tune_serving_sets_threads_and_the_gil_switch_interval(tmp_path: Path) -> None:
    import asyncio

    import duckdb

    from ecohub.runtime import tune_serving
    from ecohub.settings import Settings

    before = sys.getswitchinterval()
    con = duckdb.connect()
    settings = Settings(data_dir=tmp_path, db_threads=1, gil_switch_ms=0.5, http_threads=3)

    async def go() -> int:
        import anyio.to_thread

        tune_serving(con, settings)
        return int(anyio.to_thread.current_default_thread_limiter().total_tokens)

    try:
        assert asyncio.run(go()) == 3
        assert sys.getswitchinterval() == 0.0005
        assert con.execute("SELECT current_setting('threads')").fetchone() == (1,)
    finally:
        sys.setswitchinterval(before)
        con.close()


@pytest.mark.parametrize("bad", [0, -1, 101])
def test_gil_switch_interval_out_of_range_is_refused(tmp_path: Path, bad: float) -> None:
    from pydantic import ValidationError

    from ecohub.settings import Settings

    with pytest.raises(ValidationError, match="gil_switch_ms"):
        Settings(data_dir=tmp_path, gil_switch_ms=bad)
