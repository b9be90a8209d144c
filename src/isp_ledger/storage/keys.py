"""The service's secret keys, kept in files outside the database they protect.

Each key is created on first use with owner-only permissions. Losing the directory loses the keys: back it
up separately from the database (that separation is the point).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class KeyRing:
    def __init__(self, key_dir: Path) -> None:
        self.key_dir = key_dir

    def secret(self, name: str, size: int = 32) -> bytes:
        """The named random secret, created on first use."""
        path = self.key_dir / f"{name}.key"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        self.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Write the whole key aside, then link it into place: linking fails if another process got there
        # first, and nobody ever reads a half-written key.
        tmp = self.key_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(size))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return path.read_bytes()
