"""Set the lab domain's Administrator password (read from stdin) and make it never expire.

Runs with the system python3 (Samba's own bindings) directly on the provisioned database,
before the DC starts, so the password never appears on a command line.
Usage: set_admin_password.py SMB_CONF < password
"""

import sys

from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

ADMIN_FILTER = "(&(objectClass=user)(sAMAccountName=Administrator))"


def main() -> int:
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        sys.exit("set_admin_password: empty password on stdin")
    lp = LoadParm()
    lp.load(sys.argv[1])
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)
    samdb.setpassword(ADMIN_FILTER, password, force_change_at_next_login=False)
    samdb.setexpiry(ADMIN_FILTER, 0, no_expiry_req=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
