"""The embedded broker: kombu's filesystem transport, with messages written atomically and
read tolerantly.

kombu's own transport creates the message file under its final name and then writes it; a
worker polling the folder in between moves the still-empty file away, fails to decode it
and deletes it, losing the message, and the ``JSONDecodeError`` stops the worker for good.
Here a message is written under a name no consumer looks at and renamed into place when
complete (``os.replace`` is atomic within a folder), so a consumer only ever sees whole
messages from us. Reads are tolerant of anyone else's file (an older process, a copy, a
disk fault): a consumer claims a file by renaming it to a hidden name in the same folder,
and a file it cannot decode goes back in place while it is young (its writer may still be
writing) or, once old, to ``corrupt/`` beside the queue with an error in the log. Nothing
is deleted unread and no bad file stops the worker.

``broker_url = "dealerhub-fs://"`` selects it (see ``dealerhub.tasks``).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

SCHEME = "dealerhub-fs"
# A file that does not decode is left for its writer this long before it is quarantined.
GRACE_SECONDS = 30.0

log = logging.getLogger(__name__)


def _arrival(name: str) -> tuple[int, str]:
    """Sort key putting "<milliseconds>_<uuid>…" names in time order. Plain name order is
    not: "12000_…" sorts before "1_…" ("2" < "_"), and "9999_…" after "10000_…"."""
    stamp = name.partition("_")[0]
    return (len(stamp), name)


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

    def _get(self, queue: Any) -> Any:  # type: ignore[override]
        """The oldest whole message of ``queue``; a file that is not (yet) one is skipped."""
        suffix = f"{queue}.msg"
        folder = self.data_folder_in
        for name in sorted(os.listdir(folder), key=_arrival):
            # Same match as kombu's: "<time>_<uuid>.<queue>.msg"; hidden names never match.
            if name.partition(".")[2] != suffix:
                continue
            path = os.path.join(folder, name)
            claimed = os.path.join(folder, f".claimed-{os.getpid()}-{name}")
            try:
                os.rename(path, claimed)  # atomic: exactly one consumer wins the file
            except OSError:
                continue  # another consumer took it meanwhile
            try:
                with open(claimed, "rb") as fh:
                    payload = fh.read()
                message = loads(bytes_to_str(payload))
            except (OSError, ValueError):
                self._set_aside(claimed, path, name)
                continue
            os.remove(claimed)
            return message
        raise Empty()

    def _set_aside(self, claimed: str, path: str, name: str) -> None:
        try:
            age = time.time() - os.stat(claimed).st_mtime
            if age < GRACE_SECONDS:
                os.rename(claimed, path)  # its writer may not be done: try again later
                return
            corrupt = os.path.join(os.path.dirname(self.data_folder_in), "corrupt")
            os.makedirs(corrupt, exist_ok=True)
            os.rename(claimed, os.path.join(corrupt, name))
            log.error("embedded broker: unreadable message file moved to %s/%s", corrupt, name)
        except OSError:
            log.warning("embedded broker: could not set aside unreadable message file %s", name)


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
