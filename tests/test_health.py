"""/healthz says the process is alive; /readyz says whether the database, broker and storage answer."""

import httpx
import pytest


@pytest.mark.sqlite
def test_healthz_answers_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.sqlite
def test_readyz_is_ok_when_everything_answers(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }


def test_readyz_answers_503_naming_the_database_when_it_is_unreachable(start_server):
    from conftest import free_port

    dead_database = f"postgres://postgres@127.0.0.1:{free_port()}/nowhere"
    base = start_server(DATABASE_URL=dead_database)

    assert httpx.get(base + "/healthz").status_code == 200
    response = httpx.get(base + "/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"
    assert response.json()["status"] == "unavailable"


def test_readyz_answers_503_naming_the_broker_when_it_is_unreachable(start_server):
    from conftest import free_port

    base = start_server(CELERY_BROKER_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = httpx.get(base + "/readyz", timeout=20)
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "broker": "unavailable",
        "storage": "ok",
    }
