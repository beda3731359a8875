"""Production settings pass Django's deployment checks and refuse to start without a secret."""

import os
import subprocess
import sys

from conftest import ROOT


def manage(*args, **env):
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True
    )


def test_production_settings_pass_check_deploy():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="x" * 60 + "-production-only-secret",
        SITE_URL="https://veo.example.com",
        ALLOWED_HOSTS="veo.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
