"""Fixtures shared by every app's tests: fixed users (alice owns things, bob is someone else),
real server and worker processes on the test database, and Debian's Chromium."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

# Playwright's sync API keeps an event loop running in the test thread; our tests still talk to
# the database synchronously, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent
OUTPUT_DIR = Path(os.environ.get("TEST_OUTPUT_DIR", ROOT / "test-output"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


SEED_MIGRATIONS = [
    "generations.migrations.0002_seed_models",
    "ops.migrations.0002_seed_plans",
    "billing.migrations.0002_seed_top_up_packs",
]


@pytest.fixture(autouse=True)
def seeded_rows(request):
    """The rows our data migrations seed (video models, plans, top-up packs), for every test with
    a database. A transactional test (any test with a real server or worker) ends by emptying
    every table, seeded rows included; each seed function only adds what is missing."""
    uses_db = {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in uses_db else "db")
    import importlib

    from django.apps import apps

    for module in SEED_MIGRATIONS:
        importlib.import_module(module).seed(apps, None)


def make_user(email, password="correct horse battery staple", **extra):
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user = User.objects.create_user(email=email, password=password, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def alice(db):
    return make_user("alice@example.com")


@pytest.fixture
def bob(db):
    return make_user("bob@example.com")


@pytest.fixture
def staff(db):
    return make_user("staff@example.com", is_staff=True, is_superuser=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url():
    """The URL of the test database pytest-django created, for processes we start."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def process_env(transactional_db):
    """Environment for server/worker processes: the test database, our media folder, and a
    broker of their own (a Redis database when REDIS_URL is set, else the file broker)."""
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=database_url(),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DEBUG="true",
        OUTBOUND_ALLOW_LOOPBACK="true",
        PYTHONUNBUFFERED="1",
    )
    return env


class Processes:
    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.running = []

    def start(self, name, args, env):
        log = open(self.log_dir / f"{name}.log", "w")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.running.append((proc, log))
        return proc

    def log(self, name):
        return (self.log_dir / f"{name}.log").read_text()

    def stop_all(self):
        for proc, log in reversed(self.running):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            log.close()


@pytest.fixture
def processes(tmp_path):
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()


def wait_for_http(url, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(url)


@pytest.fixture
def start_server(processes, process_env):
    """start_server(**env_overrides) -> base URL of a gunicorn process on the test database."""
    counter = iter(range(100))

    def start(workers=2, **overrides):
        port = free_port()
        env = {**process_env, **overrides}
        env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
        args = [
            sys.executable,
            "-m",
            "gunicorn",
            "veoportal.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--timeout",
            "60",
        ]
        proc = processes.start(f"web{next(counter)}", args, env)
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + "/healthz", proc)
        return base

    return start


@pytest.fixture
def start_worker(processes, process_env):
    """start_worker(**env_overrides) -> a real Celery worker process on the test database."""
    from veoportal.celery import app as celery_app

    counter = iter(range(100))
    purged = iter([True])

    def start(concurrency=2, **overrides):
        env = {**process_env, **overrides}
        if next(purged, False):
            celery_app.control.purge()  # tasks left over from earlier tests are not ours
        name = f"worker{next(counter)}"
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "veoportal",
            "worker",
            "-l",
            "INFO",
            "-c",
            str(concurrency),
            "--without-mingle",
            "--without-gossip",
            "-n",
            f"{name}@%h",
        ]
        proc = processes.start(name, args, env)
        deadline = time.monotonic() + 30
        while "ready." not in processes.log(name):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("worker did not start:\n" + processes.log(name))
            time.sleep(0.2)
        return proc

    return start


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """screenshot("name") saves the page under test-output/screenshots/ and returns the path."""
    folder = OUTPUT_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def shoot(name, full_page=True):
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return shoot
