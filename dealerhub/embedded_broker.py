"""The embedded broker: kombu's filesystem transport, with messages written atomically.

kombu's own transport creates the message file under its final name and then writes it; a
worker polling the folder in between moves the still-empty file away, fails to decode it
and deletes it, losing the message. Here a message is written under a name no consumer
looks at and renamed into place when complete (``os.replace`` is atomic within a folder),
so a consumer only ever sees whole messages.

``broker_url = "dealerhub-fs://"`` selects it (see ``dealerhub.tasks``).
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

SCHEME = "dealerhub-fs"


class Channel(filesystem.Channel):
    # ``_put`` is the hook kombu's virtual transports are written against (its docs list
    # ``_get``/``_put``/``_size``/``_purge`` as what a transport implements).
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        # Same name scheme as kombu's (ordering by milliseconds, then a uuid).
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot: consumers match "<anything>.<queue>.msg" after the FIRST dot.
        partial = os.path.join(self.data_folder_out, f".{name}.partial")
        try:
            with open(partial, "wb") as fh:
                fh.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
