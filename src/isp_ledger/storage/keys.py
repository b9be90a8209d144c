"""The service's secret keys, kept in files outside the database they protect.

Each key is created on first use with owner-only permissions. Losing the directory loses the keys: back it
up separately from the database (that separation is the point).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def exposure(key_dir: Path) -> list[str]:
    """Warnings, one line each, about the key directory or a key in it that users other than its owner may read
    (or change): anyone who can read the keys can forge receipts and unmask the UPN index."""
    warnings = []
    try:
        files = [key_dir, *sorted(key_dir.glob("*.key"))]
        modes = [(path, path.stat().st_mode & 0o777) for path in files]
    except FileNotFoundError:
        return []  # not made yet: it will be made owner-only
    for path, mode in modes:
        if mode & 0o066:  # group or others may read or write it (list, add or replace keys, for the directory)
            kind = "key directory" if path == key_dir else "key file"
            fix = "700" if path == key_dir else "600"
            warnings.append(f"The {kind} {path} can be read or changed by other users of this "
                            f"machine (mode {mode:o}); "
                            f"make it the owner's alone: chmod {fix} {path}")
    return warnings


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
