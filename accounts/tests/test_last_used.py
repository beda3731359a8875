"""last_used_at is kept without a database write on every request: at most once a minute."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services
from accounts.auth import authenticate_key
from accounts.models import ApiKey


def updates_during(call):
    with CaptureQueriesContext(connection) as queries:
        call()
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")
    ]


@pytest.mark.sqlite
def test_last_used_is_written_at_most_once_a_minute(alice):
    api_key, raw_key = services.api_key_create(user=alice, name="k")
    t0 = timezone.now()

    assert len(updates_during(lambda: authenticate_key(raw_key, now=t0))) == 1
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == t0

    for seconds in (1, 30, 59):
        at = t0 + timedelta(seconds=seconds)
        assert updates_during(lambda at=at: authenticate_key(raw_key, now=at)) == []
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == t0

    later = t0 + timedelta(seconds=61)
    assert len(updates_during(lambda: authenticate_key(raw_key, now=later))) == 1
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == later


def test_the_keys_page_shows_when_a_key_was_last_used(client, alice):
    api_key, raw_key = services.api_key_create(user=alice, name="k")
    client.force_login(alice)
    assert last_used_cell(client) == "never"
    authenticate_key(raw_key)
    assert last_used_cell(client) in ("now", "a second ago")


def last_used_cell(client):
    html = client.get("/keys/").content.decode()
    cell = re.search(r'<td class="key-last-used">(.*?)</td>', html, re.S).group(1)
    return re.sub(r"<[^>]+>", "", cell).replace("\xa0", " ").strip()


def test_a_key_in_steady_use_costs_one_read_per_request(alice, django_assert_num_queries):
    api_key, raw_key = services.api_key_create(user=alice, name="k")
    t0 = timezone.now()
    authenticate_key(raw_key, now=t0)
    with django_assert_num_queries(1):  # the key joined with its user; no write
        authenticate_key(raw_key, now=t0 + timedelta(seconds=10))
