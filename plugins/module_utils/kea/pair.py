# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options and connection handling shared by the modules that drive a Kea appliance pair."""

from urllib.parse import urlsplit

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


TIMEOUT_MAX = 300.0  # seconds one Control Agent request may take


def peer_url_key(url):
    """The Control Agent a URL reaches, for comparison: scheme, host (lower case) and port."""
    parsed = urlsplit(str(url or "").strip())
    try:
        port = parsed.port
    except ValueError:
        return None
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    port = port or (443 if parsed.scheme == "https" else 80)
    return (parsed.hostname.lower().rstrip("."), port, parsed.path.rstrip("/") or "/")


def check_peers(params):
    """Errors in the peer list and the connection options, found before any peer is contacted."""
    problems = []
    names = [p["name"] for p in params["peers"]]
    if not names:
        problems.append("peers is empty")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"peer names appear twice: {', '.join(duplicates)}")
    holders = {}
    for peer in params["peers"]:
        key = peer_url_key(peer["url"])
        if key is None:
            problems.append(f"peer {peer['name']}: url {peer['url']!r} is not an http(s) URL with a host")
            continue
        holders.setdefault(key, []).append(peer["name"])
    for key, holder_names in holders.items():
        if len(holder_names) > 1:
            problems.append(
                f"peers {' and '.join(holder_names)} have the same url (host {key[0]} port {key[1]}): "
                "each peer of the pair needs its own Control Agent, else one peer is changed twice and "
                "the other not at all"
            )
    timeout = params.get("timeout")
    if timeout is not None and not 0 < timeout <= TIMEOUT_MAX:
        problems.append(f"timeout {timeout} is out of range (more than 0, at most {TIMEOUT_MAX:g} seconds)")
    return problems


__all__ = [
    "TIMEOUT_MAX",
    "KeaAuthError",
    "KeaError",
    "KeaUnreachable",
    "check_peers",
    "clients",
    "pair_argument_spec",
    "peer_url_key",
]
