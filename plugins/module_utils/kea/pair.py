# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options and connection handling shared by the modules that drive a Kea appliance pair."""

from ansible.module_utils.kea.client import KeaAuthError, KeaClient, KeaError, KeaUnreachable

PEER_OPTIONS = {
    "name": {"type": "str", "required": True},
    "url": {"type": "str", "required": True},
    "user": {"type": "str"},
    "password": {"type": "str", "no_log": True},
}


def pair_argument_spec():
    return {
        "peers": {"type": "list", "elements": "dict", "required": True, "options": PEER_OPTIONS},
        "service": {"type": "str", "default": "dhcp4", "choices": ["dhcp4"]},
        "timeout": {"type": "float", "default": 10.0},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
    }


def clients(params):
    return [
        KeaClient(
            peer["name"], peer["url"], peer.get("user"), peer.get("password"), service=params["service"],
            timeout=params["timeout"], validate_certs=params["validate_certs"], ca_path=params.get("ca_path"),
        )
        for peer in params["peers"]
    ]


def check_peers(params):
    problems = []
    names = [p["name"] for p in params["peers"]]
    if not names:
        problems.append("peers is empty")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"peer names appear twice: {', '.join(duplicates)}")
    return problems


__all__ = ["KeaAuthError", "KeaError", "KeaUnreachable", "check_peers", "clients", "pair_argument_spec"]
