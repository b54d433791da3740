# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The peer list of a Kea DHCP appliance pair, built from the inventory.

Every task that reaches a Kea Control Agent (dhcp_info, dhcp_reservations, dhcp_service) takes its
``peers`` option from this one filter, so the inventory vocabulary of an appliance
(``jichitai_kea_api_url``, ``jichitai_kea_api_user``, ``jichitai_kea_api_password``; docs/inventory.md)
is read in one place. Documentation for ansible-doc: kea_peers.yml beside this file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests run without ansible on the path too
    AnsibleFilterError = ValueError

URL = "jichitai_kea_api_url"
USER = "jichitai_kea_api_user"
PASSWORD = "jichitai_kea_api_password"


def kea_peers(hosts: Iterable[str] | str, hostvars: Mapping) -> list[dict]:
    """One ``{name, url, user, password}`` per host, in the order given; user and password are
    None where the host sets none. A host without ``jichitai_kea_api_url`` is an error naming it."""
    if isinstance(hosts, str):
        hosts = [hosts]
    peers, missing = [], []
    for name in hosts:
        name = str(name)
        if name not in hostvars:
            missing.append(f"{name} (not in the inventory)")
            continue
        hv = hostvars[name]
        url = hv.get(URL)
        if not url:
            missing.append(f"{name} (no {URL})")
            continue
        peers.append({"name": name, "url": str(url), "user": hv.get(USER), "password": hv.get(PASSWORD)})
    if missing:
        raise AnsibleFilterError(f"kea_peers: no Kea Control Agent for {', '.join(missing)}")
    return peers


class FilterModule:
    """Kea appliance filters."""

    def filters(self):
        return {"kea_peers": kea_peers}
