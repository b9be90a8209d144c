"""First run on a new store: create an administrator so the service can be used at once (``./dev serve``).

Does nothing when any user exists. The token is printed once; only its digest is stored.
"""

from __future__ import annotations

from isp_ledger.application import Ledger


def main() -> None:
    ledger = Ledger()
    try:
        if ledger.accounts.users():
            return
        user, token = ledger.add_user(name="Administrator", role="admin")
    finally:
        ledger.close()
    print("No users yet, so an administrator was created. Its token (shown only now):")
    print(f"\n    {token}\n")
    print("Use it as 'Authorization: Bearer <token>'. Add people with:")
    print("    ./dev isp-ledger users add --name 'Sam Senco' --role senco --setting 123456\n")


if __name__ == "__main__":
    main()
