"""A real SMTP server on loopback (aiosmtpd) that keeps what it is sent, for the sign-in tests.

``smtp_server()`` starts one on a free port; ``Mailbox.code_for(address)`` waits for the newest sign-in code
mailed to the address and returns it, as a person would read it from the email.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.changed = threading.Condition()
        self.url = ""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.changed:
            self.messages.append(message)
            self.changed.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.changed:
            return [m for m in self.messages if str(m["To"]).casefold() == address.casefold()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> EmailMessage:
        """The ``count``-th message to ``address`` (waiting for it to arrive)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(received := [m for m in self.messages if str(m["To"]).casefold() == address.casefold()]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no mail number {count} to {address} within {timeout} s; "
                                         f"mail so far went to {[str(m['To']) for m in self.messages]}")
                self.changed.wait(left)
            return received[count - 1]

    def code_for(self, address: str, count: int | None = None) -> str:
        """The code in the newest message to ``address`` (or the ``count``-th), waiting for it to arrive."""
        message = self.wait_for(address, count if count is not None else max(1, len(self.to(address))))
        body = message.get_body(("plain",))
        assert body is not None
        found = CODE.search(body.get_content())
        assert found, f"no code in the mail: {body.get_content()!r}"
        return found.group(1)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.url = f"smtp://127.0.0.1:{port}"
    try:
        yield mailbox
    finally:
        controller.stop()
