"""Revocation and expiry hold on the very next request on every web process: two gunicorn
servers (two workers each) on the same PostgreSQL database, no per-process cache."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from django.utils import timezone

from accounts import services
from accounts.models import ApiKey
from accounts.tests.helpers import AUTHED_PATH

# Enough requests that every gunicorn worker of a server has answered at least once.
REQUESTS_PER_SERVER = 6
# The keys' own limit, well above what these tests send, so the rate limiter stays out of it.
RPM = 1000


def codes(base, raw_key):
    found = set()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {raw_key}"}) as http:
        for _ in range(REQUESTS_PER_SERVER):
            response = http.get(AUTHED_PATH)
            found.add("ok" if response.status_code == 200 else response.json()["error"]["code"])
    return found


def test_a_revoked_key_is_refused_at_once_by_every_server(start_server, alice):
    api_key, raw_key = services.api_key_create(user=alice, name="shared", rpm_limit=RPM)
    servers = [start_server(), start_server()]
    assert [codes(base, raw_key) for base in servers] == [{"ok"}, {"ok"}]

    services.api_key_revoke(api_key=api_key)

    assert [codes(base, raw_key) for base in servers] == [{"revoked_api_key"}, {"revoked_api_key"}]


def test_a_rotated_key_works_everywhere_until_its_grace_ends(start_server, alice):
    old, old_raw = services.api_key_create(user=alice, name="shared", rpm_limit=RPM)
    servers = [start_server(), start_server()]
    new, new_raw = services.api_key_rotate(api_key=old, grace=timedelta(hours=1))
    for base in servers:
        assert codes(base, old_raw) == {"ok"}
        assert codes(base, new_raw) == {"ok"}

    # The grace period ends (moved on the key's own clock): the old key is expired everywhere.
    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for base in servers:
        assert codes(base, old_raw) == {"expired_api_key"}
        assert codes(base, new_raw) == {"ok"}


def test_two_concurrent_rotations_of_one_key_make_one_successor(transactional_db, alice):
    api_key, _ = services.api_key_create(user=alice, name="k")

    def rotate(_):
        try:
            return services.api_key_rotate(
                api_key=ApiKey.objects.get(pk=api_key.pk), grace=timedelta(hours=1)
            )[1]
        except services.KeyNotUsable:
            return None
        finally:
            from django.db import connection

            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(rotate, range(4)))
    assert sum(r is not None for r in results) == 1
    assert ApiKey.objects.filter(user=alice).count() == 2
