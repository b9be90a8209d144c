"""Running ``isp-ledger`` as a user would, in a process of its own, for the command-line tests."""

from __future__ import annotations

import os
import subprocess
import sys


def isp_ledger(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``isp-ledger ARGS`` with exactly the test's ``ISP_LEDGER_*`` settings (none inherited from the shell)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ISP_LEDGER_")}
    return subprocess.run(
        [sys.executable, "-c", "from isp_ledger.cli import main; main()", *args],
        env={**clean, **env}, capture_output=True, text=True, timeout=120, check=False,
    )
