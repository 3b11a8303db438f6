"""The one background loop: wake-ups, poll fallback, busy rounds, errors, graceful stop, metrics."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import REGISTRY

from servicekit.worker import WorkLoop


def sample(metric: str, worker: str) -> float | None:
    return REGISTRY.get_sample_value(metric, {"service": "test", "worker": worker})


async def wait_until(predicate: object, timeout: float = 2.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


async def test_wake_runs_a_round_at_once_instead_of_waiting_for_the_poll() -> None:
    rounds: list[float] = []

    async def step() -> int:
        rounds.append(time.monotonic())
        return 0

    loop = WorkLoop("test", "wake", step, poll_seconds=30)
    task = asyncio.create_task(loop.run())
    await wait_until(lambda: len(rounds) == 1)  # the first round runs at start
    woken = time.monotonic()
    loop.wake()
    await wait_until(lambda: len(rounds) == 2)
    assert rounds[1] - woken < 0.5
    loop.stop()
    await asyncio.wait_for(task, 1)


async def test_a_wake_during_a_round_is_not_lost() -> None:
    rounds = 0
    loop: WorkLoop

    async def step() -> int:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            loop.wake()  # e.g. a commit while the relay publishes
        return 0

    loop = WorkLoop("test", "wake-during", step, poll_seconds=30)
    task = asyncio.create_task(loop.run())
    await wait_until(lambda: rounds == 2)
    loop.stop()
    await asyncio.wait_for(task, 1)


async def test_polls_when_nobody_wakes_it() -> None:
    rounds = 0

    async def step() -> int:
        nonlocal rounds
        rounds += 1
        return 0

    loop = WorkLoop("test", "poll", step, poll_seconds=0.05)
    task = asyncio.create_task(loop.run())
    await asyncio.sleep(0.33)
    loop.stop()
    await asyncio.wait_for(task, 1)
    assert 4 <= rounds <= 9


async def test_a_full_batch_runs_the_next_round_at_once() -> None:
    batches = [10, 10, 3]

    async def step() -> int:
        return batches.pop(0) if batches else 0

    loop = WorkLoop("test", "busy", step, poll_seconds=30, busy_at=10)
    task = asyncio.create_task(loop.run())
    await wait_until(lambda: not batches, timeout=0.5)  # three rounds without a poll wait
    assert loop.items == 23
    loop.stop()
    await asyncio.wait_for(task, 1)
    assert loop.iterations == 3
    assert sample("alumni_worker_items_total", "busy") == 23


async def test_a_failing_round_is_counted_and_the_loop_continues() -> None:
    outcomes: list[Exception | int] = [RuntimeError("database blip"), 2, 0]

    async def step() -> int:
        outcome = outcomes.pop(0) if outcomes else 0
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    before = time.time()
    loop = WorkLoop("test", "errors", step, poll_seconds=30, error_pause_seconds=0.05, busy_at=2)
    task = asyncio.create_task(loop.run())
    await wait_until(lambda: not outcomes)
    loop.stop()
    await asyncio.wait_for(task, 1)
    assert (loop.errors, loop.items) == (1, 2)
    assert sample("alumni_worker_errors_total", "errors") == 1
    assert sample("alumni_worker_iterations_total", "errors") == 3
    last = sample("alumni_worker_last_success_timestamp_seconds", "errors")
    assert last is not None and last >= before


async def test_stop_lets_the_current_round_finish_and_tells_it_to_give_its_item_back() -> None:
    started, checkpoints = asyncio.Event(), []
    loop: WorkLoop

    async def step() -> int:
        started.set()
        for _ in range(100):  # a long item, checked between chunks
            await asyncio.sleep(0.01)
            checkpoints.append(loop.stopping)
            if loop.stopping:
                return 0  # gave it back
        return 1

    loop = WorkLoop("test", "stop", step, poll_seconds=30, busy_at=1)
    task = asyncio.create_task(loop.run())
    await started.wait()
    await asyncio.sleep(0.05)
    loop.stop()
    await asyncio.wait_for(task, 1)  # returned promptly, without being cancelled
    assert checkpoints[-1] is True and len(checkpoints) < 20
    assert loop.iterations == 1


async def test_stop_while_idle_returns_at_once() -> None:
    async def step() -> int:
        return 0

    loop = WorkLoop("test", "idle", step, poll_seconds=30)
    task = asyncio.create_task(loop.run())
    await asyncio.sleep(0.05)
    loop.stop()
    await asyncio.wait_for(task, 0.5)
