"""Settle-once with real worker processes: a completion delivered several times, and a worker
process killed (SIGKILL) in the middle of the completion, each leave exactly one capture."""

import os
import re
import signal
import time
from pathlib import Path

import pytest

from generations import services
from generations.models import Generation
from generations.tasks import generation_poll
from generations.tests.conftest import settlements


def wait_settled(generation_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        generation = Generation.objects.get(pk=generation_id)
        if generation.is_settled:
            return generation
        time.sleep(0.1)
    raise TimeoutError(generation_id)


def children_of(pid):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_a_completion_delivered_several_times_captures_once(funded, start_worker, settings):
    start_worker(concurrency=2, SIMULATOR_LATENCY="1")
    settings.VIDEO_PROVIDER = "simulator"
    generation = services.generation_create(user=funded, model="veo-3", prompt="dup", duration=4)
    services._enqueue_start(generation.id)
    deadline = time.monotonic() + 30
    while Generation.objects.get(pk=generation.id).status == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for _ in range(3):  # the broker hands the completion out again and again
        generation_poll.apply_async((generation.id,), countdown=1)
    assert wait_settled(generation.id).status == "succeeded"
    time.sleep(2.5)  # let the extra deliveries run
    assert settlements(generation.id) == ["capture"]


def test_a_worker_killed_mid_completion_is_redelivered_and_captures_once(
    funded, start_worker, processes, settings
):
    settings.VIDEO_PROVIDER = "simulator"
    worker = start_worker(concurrency=1, SIMULATOR_LATENCY="0")
    received = re.compile(r"generation_poll\[([0-9a-f-]+)\] received")
    for attempt in range(3):
        seen = set(received.findall(processes.log("worker0")))
        generation = services.generation_create(
            user=funded, model="veo-3-fast", prompt=f"killed {attempt}", duration=8
        )
        services._enqueue_start(generation.id)
        # Wait for the completion (the poll that renders an 8 s clip, over a second of work) to
        # reach the pool process, give it a moment to start, then kill that process.
        deadline = time.monotonic() + 30
        while not (new := set(received.findall(processes.log("worker0"))) - seen):
            assert time.monotonic() < deadline, processes.log("worker0")
            time.sleep(0.01)
        time.sleep(0.3)
        for child in children_of(worker.pid):
            os.kill(child, signal.SIGKILL)
        generation = wait_settled(generation.id)
        assert generation.status == "succeeded"
        assert settlements(generation.id) == ["capture"]
        (task_id,) = new
        log = processes.log("worker0")
        if "WorkerLostError" in log and log.count(f"generation_poll[{task_id}] received") >= 2:
            return  # the kill landed mid-task and the redelivery settled it, once
    pytest.fail("the kill never landed mid-task:\n" + processes.log("worker0"))
