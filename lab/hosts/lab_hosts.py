"""Print the lab's namespace hosts from inventories/lab/hosts.yml, one per line, for 60-hosts.sh.

  host NAME ADDRESS SEGMENT    a Linux server (group `linux`): sshd in its own namespace
  gw NAME ADDRESS              a site gateway or switch whose address lies in 198.19.0.0/16:
                               one address of the shared gateway namespace
"""

import ipaddress
import sys
from pathlib import Path

import yaml

GATEWAY_NET = ipaddress.ip_network("198.19.0.0/16")


def walk(group: dict, groups: list[str], hosts: dict[str, dict], name: str) -> None:
    for host, hvars in (group.get("hosts") or {}).items():
        entry = hosts.setdefault(host, {"vars": {}, "groups": set()})
        entry["vars"].update(hvars or {})
        entry["groups"].update([*groups, name])
    for child, sub in (group.get("children") or {}).items():
        walk(sub or {}, [*groups, name], hosts, child)


def main() -> int:
    inventory = yaml.safe_load(Path(sys.argv[1]).read_text(encoding="utf-8"))
    hosts: dict[str, dict] = {}
    walk(inventory["all"], [], hosts, "all")
    for name, entry in sorted(hosts.items()):
        hvars = entry["vars"]
        if "linux" in entry["groups"]:
            print("host", name, hvars["ansible_host"], hvars["jichitai_segment"])
        elif "ansible_host" in hvars and ipaddress.ip_address(hvars["ansible_host"]) in GATEWAY_NET:
            print("gw", name, hvars["ansible_host"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
