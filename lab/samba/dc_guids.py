"""Print each domain controller of the lab domain as "<host name> <NTDS Settings objectGUID>".

DRS replication reaches a controller by <objectGUID>._msdcs.<dns domain>; with the lab's DNS off,
lab/components/20-samba.sh writes those names into each controller's /etc/hosts from this list.
Runs with the system python3 (Samba's own bindings) on a controller's local database, read-only.
Usage: dc_guids.py SMB_CONF
"""

import sys

from samba.auth import system_session
from samba.dcerpc import misc
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB


def main() -> int:
    lp = LoadParm()
    lp.load(sys.argv[1])
    samdb = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp, flags=1)  # read-only
    for msg in samdb.search(
        base=samdb.get_config_basedn(), expression="(objectClass=nTDSDSA)", attrs=["objectGUID"]
    ):
        server = samdb.search(base=msg.dn.parent(), scope=0, attrs=["dNSHostName", "name"])[0]
        name = str(server.get("dNSHostName", server["name"])[0]).split(".")[0].lower()
        print(name, str(ndr_unpack(misc.GUID, msg["objectGUID"][0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
