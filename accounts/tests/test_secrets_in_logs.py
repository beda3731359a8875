"""Keys never reach the logs: not when created, used, refused, rotated or revoked."""

import logging
from datetime import timedelta

from django.core.management import call_command

from accounts import keys, services
from accounts.models import ApiKey
from accounts.tests.helpers import AUTHED_PATH, bearer, raw_key_in


def test_no_raw_key_appears_in_any_log_record(client, alice, caplog, capsys):
    seen = []
    with caplog.at_level(logging.DEBUG):
        client.force_login(alice)
        created = client.post("/keys/", {"name": "web"})
        seen.append(raw_key_in(created.content.decode()))
        api_key = ApiKey.objects.get(user=alice)
        client.get(AUTHED_PATH, **bearer(seen[0]))

        rotated = client.post(f"/keys/{api_key.pk}/rotate/", {"grace": "3600"})
        seen.append(raw_key_in(rotated.content.decode()))
        new_key = ApiKey.objects.get(rotated_from=api_key)
        client.post(f"/keys/{new_key.pk}/revoke/")
        client.get(AUTHED_PATH, **bearer(seen[1]))  # revoked
        unknown = keys.generate()
        seen.append(unknown)
        client.get(AUTHED_PATH, **bearer(unknown))

        made, raw = services.api_key_create(user=alice, name="svc")
        seen.append(raw)
        services.api_key_rotate(api_key=made, grace=timedelta(0))
        call_command("revoke_api_key", raw)

    text = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {getattr(r, 'exc_text', '')}" for r in caplog.records
    )
    assert "api key created" in text and "api key rotated" in text  # the log did run
    hashes = [keys.hash_key(k) for k in seen]
    captured = capsys.readouterr()
    for secret in seen + hashes:
        assert secret not in text
        assert secret not in captured.err
