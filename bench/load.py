"""A small closed-loop load generator: N threads, each with its own keep-alive connection,
sending GETs back to back for a fixed time, recording every latency."""

import statistics
import threading
import time
from dataclasses import dataclass

import httpx


@dataclass
class LoadResult:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list

    @property
    def throughput(self):
        return self.requests / self.seconds

    def percentile(self, p):
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    @property
    def p50_ms(self):
        return self.percentile(50) * 1000

    @property
    def p99_ms(self):
        return self.percentile(99) * 1000

    def merged(self, other):
        return LoadResult(
            self.name,
            self.requests + other.requests,
            self.errors + other.errors,
            self.seconds + other.seconds,
            self.latencies + other.latencies,
        )


def run(name, url, *, headers=None, clients=16, seconds=5.0, max_requests=50_000):
    """Hit `url` from `clients` threads for `seconds` (or until max_requests) and measure."""
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    budget = [max_requests]

    def worker():
        mine, failed = [], 0
        with httpx.Client(headers=headers or {}, timeout=30) as client:
            while time.monotonic() < stop_at:
                with lock:
                    if budget[0] <= 0:
                        break
                    budget[0] -= 1
                started = time.perf_counter()
                try:
                    response = client.get(url)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                if ok:
                    mine.append(elapsed)
                else:
                    failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - began
    return LoadResult(name, len(latencies), errors[0], took, latencies)


def describe(result):
    return (
        f"{result.name:<34} {result.throughput:8.0f} req/s   p50 {result.p50_ms:6.1f} ms   "
        f"p99 {result.p99_ms:6.1f} ms   ({result.requests} ok, {result.errors} errors)"
    )


def median(values):
    return statistics.median(values)
