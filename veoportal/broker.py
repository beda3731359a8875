"""The local Celery broker: kombu's filesystem transport, with each message written atomically.

kombu writes a message file in place, so a worker scanning the folder can take the file before
its bytes are there and stop on an empty message ("Unrecoverable error: JSONDecodeError"). Here
a message is written under a name no reader looks at and then renamed into place, whole.
"""

import os
import uuid
from time import monotonic

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        partial = os.path.join(self.data_folder_out, f".{uuid.uuid4()}.partial")
        with open(partial, "wb") as f:
            f.write(str_to_bytes(dumps(payload)))
        os.replace(partial, os.path.join(self.data_folder_out, name))


class Transport(filesystem.Transport):
    Channel = Channel


# `filesystem://` in CELERY_BROKER_URL means this transport.
TRANSPORT_ALIASES["filesystem"] = "veoportal.broker:Transport"
