"""The local file broker hands a worker only whole messages, even while producers are writing."""

import json
import os
import threading

import pytest
from kombu import Connection

from veoportal.broker import Transport


def read_whole_messages_while_writing(folder, transport, count=300):
    """Producers write big messages while a reader takes each file the moment it is listed,
    as kombu's worker does; answers how many taken files were not whole JSON."""
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    payload = {"body": "x" * 200_000}
    done = threading.Event()
    broken = []

    def read():
        while not done.is_set() or any(n.endswith(".msg") for n in os.listdir(folder)):
            for name in sorted(os.listdir(folder)):
                if not name.endswith(".msg"):
                    continue
                path = folder / name
                try:
                    data = path.read_bytes()
                    path.unlink()
                except FileNotFoundError:
                    continue
                try:
                    json.loads(data)
                except ValueError:
                    broken.append(name)

    reader = threading.Thread(target=read)
    reader.start()
    with Connection(transport=transport, transport_options=options) as conn:
        channel = conn.default_channel
        for _ in range(count):
            channel._put("celery", payload)
    done.set()
    reader.join(timeout=30)
    return broken


@pytest.mark.sqlite
def test_messages_appear_only_whole(tmp_path):
    assert read_whole_messages_while_writing(tmp_path, Transport) == []


def test_kombus_own_filesystem_transport_can_expose_a_partial_message(tmp_path):
    """Why veoportal.broker exists: the same reader sees half-written files from kombu's own."""
    from kombu.transport.filesystem import Transport as KombuTransport

    assert read_whole_messages_while_writing(tmp_path, KombuTransport) != []
