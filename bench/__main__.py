"""`make bench`: the poll endpoint (GET /v1/video/generations/{id} with key auth) against a bare
Django JSON view (/healthz) on the same gunicorn server in the same run, many concurrent
clients on loopback; then the simulator's render speed as a multiple of real time.

It works on a throwaway database (<name>_bench, removed at the end), never on the one
DATABASE_URL names. Bounded: about a minute in all.
"""

import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django
import httpx

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
PHASE_SECONDS = float(os.environ.get("BENCH_PHASE_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", str(os.cpu_count() or 2)))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict):
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict["USER"] or "postgres"
    host = settings_dict["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


def seed():
    """A user with a key (no rate limit in the way) and one finished generation to poll."""
    from django.conf import settings

    from accounts import services as accounts_services
    from accounts.models import User
    from billing import services as billing_services
    from generations import services
    from generations.catalog import video_models_seed
    from generations.models import VideoModel

    video_models_seed(VideoModel)
    user = User.objects.create_user(email="bench@example.com")
    billing_services.credits_grant(user=user, amount=100_000, reason="benchmark")
    _, raw_key = accounts_services.api_key_create(user=user, name="bench", rpm_limit=10**9)
    settings.SIMULATOR_LATENCY = 0
    # No worker runs here: the pipeline's tasks run inline instead of waiting in a broker.
    from veoportal.celery import app

    app.conf.task_always_eager = True
    generation = services.generation_create(user=user, model="veo-3", prompt="bench", duration=4)
    services.generation_start(generation_id=generation.id)
    services.generation_poll(generation_id=generation.id)
    return raw_key, generation.id


def redis_url():
    """Production keeps rate limits in Redis; the database fallback serializes every request of
    one key on one row. Use REDIS_URL, else a local Redis (database 14) when one answers."""
    if url := os.environ.get("REDIS_URL"):
        return url
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 - no Redis here: measure the database fallback
        return ""
    return url


def start_server(env):
    port = free_port()
    log = open(Path(env["VAR_DIR"]) / "bench-web.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "veoportal.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(WEB_WORKERS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the benchmark server did not start; see bench-web.log")


def bench_poll(base, key, generation_id):
    from bench import load

    headers = {"Authorization": f"Bearer {key}"}
    poll_url = f"{base}/v1/video/generations/{generation_id}"
    assert httpx.get(poll_url, headers=headers).json()["status"] == "succeeded"
    # Warm both paths (imports, connections) before measuring.
    load.run("warm-up", base + "/healthz", clients=4, seconds=1)
    load.run("warm-up", poll_url, headers=headers, clients=4, seconds=1)
    bare = poll = None
    for _ in range(ROUNDS):  # interleaved, so drift on a shared machine hits both alike
        b = load.run(
            "bare JSON view (/healthz)", base + "/healthz", clients=CLIENTS, seconds=PHASE_SECONDS
        )
        p = load.run(
            "poll GET /v1/video/generations/{id}",
            poll_url,
            headers=headers,
            clients=CLIENTS,
            seconds=PHASE_SECONDS,
        )
        bare = b if bare is None else bare.merged(b)
        poll = p if poll is None else poll.merged(p)
    print(
        f"\nHTTP on loopback: gunicorn with {WEB_WORKERS} sync workers, {CLIENTS} concurrent clients, "
        f"{ROUNDS} x {PHASE_SECONDS:.0f} s per endpoint, interleaved"
    )
    print(load.describe(bare))
    print(load.describe(poll))
    print(f"poll / bare throughput ratio: {poll.throughput / bare.throughput:.2f}")
    return bare, poll


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_render():
    from generations.providers.simulator import render_clip

    print("\nSimulator render, 5 s clip at 720p, 24 fps (H.264), 5 runs each:")
    for aspect_ratio in ("16:9", "9:16"):
        walls, cpus = [], []
        for _ in range(5):
            started, cpu_before = time.perf_counter(), cpu_seconds()
            render_clip("a drone shot over a misty forest at sunrise", 5, aspect_ratio)
            walls.append(time.perf_counter() - started)
            cpus.append(cpu_seconds() - cpu_before)
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(
            f"  {aspect_ratio:>5}: median wall {wall:.3f} s = {5 / wall:.1f}x real time, "
            f"median CPU {cpu:.3f} s = {5 / cpu:.1f}x (best wall {min(walls):.3f} s = "
            f"{5 / min(walls):.1f}x)"
        )
    print(f"  load average while measuring: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veoportal.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    # A database of its own, so a test run beside us (test_<name>) is never clobbered.
    if connection.vendor == "sqlite":
        bench_name = str(settings.VAR_DIR / "bench-db.sqlite3")
    else:
        bench_name = f"{old_name}_bench"
    connection.settings_dict.setdefault("TEST", {})["NAME"] = bench_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)
    server = None
    try:
        key, generation_id = seed()
        env = {k: v for k, v in os.environ.items()}
        env.pop("CELERY_BROKER_URL", None)
        env.update(
            DATABASE_URL=database_url(connection.settings_dict),
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            VAR_DIR=str(settings.VAR_DIR),
            DEBUG="false",
            SECRET_KEY=settings.SECRET_KEY,
            SECURE_SSL_REDIRECT="false",
            SITE_URL="http://127.0.0.1",
            LOG_LEVEL="WARNING",
        )
        env["REDIS_URL"] = redis_url()
        print(f"rate limits and cache: {'Redis' if env['REDIS_URL'] else 'the database'}")
        server, base = start_server(env)
        bench_poll(base, key, generation_id)
        bench_render()
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
