"""Lab helper for the Kea DHCP appliance pair (used by lab/components/30-kea.sh).

  labctl.py render RUN_DIR SCOPES_YAML [OUT_DIR]
                                         write both peers' kea-dhcp4 and kea-ctrl-agent configs
                                         (paths inside them point at RUN_DIR; files go to OUT_DIR)
  labctl.py wait-ha [TIMEOUT_S]          wait until both peers report a healthy HA pair
  labctl.py status                       print each peer's HA state; exit 1 unless healthy
  labctl.py drop-reservation ADDRESS     remove one reservation from both peers by hand, as at the
                                         appliance console: the drift playbooks/dhcp_sync.yml finds

The control-agent password is read from standard input (never from the command line).
"""

import base64
import ipaddress
import json
import os
import sys
import time
import urllib.error
import urllib.request

import yaml

HOOKS_DIR = "/usr/lib/x86_64-linux-gnu/kea/hooks"
API_USER = "jichitai-ops"
# name -> role, DHCP server port, HA listener port, control agent port
PEERS = {
    "dhcp01": {"role": "primary", "dhcp_port": 6701, "ha_port": 8101, "ca_port": 8001},
    "dhcp02": {"role": "standby", "dhcp_port": 6702, "ha_port": 8102, "ca_port": 8002},
}
HEALTHY = {"hot-standby", "load-balancing", "passive-backup", "backup"}


def _pool_range(pool):
    if isinstance(pool, dict):
        return f"{pool['start']} - {pool['end']}"
    if "/" in str(pool):
        return str(pool)
    start, end = (part.strip() for part in str(pool).split("-"))
    return f"{start} - {end}"


def subnets_from_scopes(scopes):
    """Kea subnet4 entries for the ledger scopes; the lab relay lets perfdhcp be served on loopback."""
    subnets = []
    for index, scope in enumerate(scopes, start=1):
        net = ipaddress.ip_network(scope["subnet"])
        subnet = {
            "id": scope.get("id", index),
            "subnet": str(net),
            "pools": [{"pool": _pool_range(scope["pool"])}],
            "relay": {"ip-addresses": ["127.0.0.1"]},
            "reservations": [
                {"hw-address": str(r["mac"]).lower(), "ip-address": str(r["ip"]), "hostname": r["hostname"]}
                for r in scope.get("reservations", [])
            ],
        }
        if scope.get("gateway"):
            subnet["option-data"] = [{"name": "routers", "data": str(scope["gateway"])}]
        subnets.append(subnet)
    return subnets


def dhcp4_config(name, run_dir, subnets):
    peers = [
        {"name": peer, "url": f"http://127.0.0.1:{p['ha_port']}/", "role": p["role"], "auto-failover": True}
        for peer, p in PEERS.items()
    ]
    return {
        "Dhcp4": {
            "interfaces-config": {"interfaces": ["lo/127.0.0.1"], "dhcp-socket-type": "udp"},
            "control-socket": {"socket-type": "unix", "socket-name": f"{run_dir}/{name}.sock"},
            "lease-database": {
                "type": "memfile",
                "persist": True,
                "name": f"{run_dir}/{name}-leases4.csv",
                "lfc-interval": 0,
            },
            "valid-lifetime": 3600,
            "multi-threading": {
                "enable-multi-threading": True,
                "thread-pool-size": 2,
                "packet-queue-size": 16,
            },
            "hooks-libraries": [
                {"library": f"{HOOKS_DIR}/libdhcp_lease_cmds.so"},
                {
                    "library": f"{HOOKS_DIR}/libdhcp_ha.so",
                    "parameters": {
                        "high-availability": [
                            {
                                "this-server-name": name,
                                "mode": "hot-standby",
                                "heartbeat-delay": 250,
                                "max-response-delay": 1500,
                                "max-ack-delay": 750,
                                "max-unacked-clients": 0,
                                # peers talk over their own listeners, so no API secret sits in the HA config
                                "multi-threading": {
                                    "enable-multi-threading": True,
                                    "http-dedicated-listener": True,
                                    "http-listener-threads": 1,
                                    "http-client-threads": 1,
                                },
                                "peers": peers,
                            }
                        ]
                    },
                },
            ],
            "subnet4": subnets,
            "loggers": [
                {"name": "kea-dhcp4", "output_options": [{"output": "stdout"}], "severity": "INFO"}
            ],
        }
    }


def ctrl_agent_config(name, run_dir, password):
    return {
        "Control-agent": {
            "http-host": "127.0.0.1",
            "http-port": PEERS[name]["ca_port"],
            "authentication": {
                "type": "basic",
                "realm": f"kea-lab-{name}",
                "clients": [{"user": API_USER, "password": password}],
            },
            "control-sockets": {"dhcp4": {"socket-type": "unix", "socket-name": f"{run_dir}/{name}.sock"}},
            "loggers": [
                {"name": "kea-ctrl-agent", "output_options": [{"output": "stdout"}], "severity": "WARN"}
            ],
        }
    }


def _write_json(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")


def render(run_dir, scopes_file, password, out_dir=None):
    with open(scopes_file, encoding="utf-8") as fh:
        scopes = yaml.safe_load(fh)["jichitai_dhcp_scopes"]
    subnets = subnets_from_scopes(scopes)
    out_dir = out_dir or run_dir
    for name in PEERS:
        _write_json(f"{out_dir}/kea-dhcp4-{name}.conf", dhcp4_config(name, run_dir, subnets))
        _write_json(f"{out_dir}/kea-ctrl-agent-{name}.conf", ctrl_agent_config(name, run_dir, password))


def command(name, password, cmd, timeout=3, arguments=None):
    message = {"command": cmd, "service": ["dhcp4"]}
    if arguments is not None:
        message["arguments"] = arguments
    body = json.dumps(message).encode()
    token = base64.b64encode(f"{API_USER}:{password}".encode()).decode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{PEERS[name]['ca_port']}/",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.load(resp)[0]


def ha_states(password):
    states = {}
    for name in PEERS:
        try:
            answer = command(name, password, "status-get")
            local = answer["arguments"]["high-availability"][0]["ha-servers"]["local"]
            states[name] = local["state"]
        except (OSError, urllib.error.URLError, KeyError, IndexError, ValueError) as exc:
            states[name] = f"unreachable ({exc})"
    return states


def drop_reservation(password, address):
    for name in PEERS:
        config = command(name, password, "config-get")["arguments"]
        for subnet in config["Dhcp4"].get("subnet4", []):
            subnet["reservations"] = [
                r for r in subnet.get("reservations", []) if r.get("ip-address") != address
            ]
        steps = (("config-set", {"Dhcp4": config["Dhcp4"]}), ("config-write", {}))
        for cmd, arguments in steps:
            answer = command(name, password, cmd, arguments=arguments)
            if answer.get("result") != 0:
                print(f"{name}: {cmd} failed: {answer.get('text')}", file=sys.stderr)
                return 1
        print(f"{name}: reservation {address} removed")
    return 0


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    password = sys.stdin.readline().strip()
    if argv[1] == "render":
        render(argv[2], argv[3], password, argv[4] if len(argv) > 4 else None)
        return 0
    if argv[1] == "wait-ha":
        deadline = time.monotonic() + float(argv[2] if len(argv) > 2 else 30)
        while True:
            states = ha_states(password)
            if all(s in HEALTHY for s in states.values()):
                return 0
            if time.monotonic() > deadline:
                print(f"HA pair not healthy: {states}", file=sys.stderr)
                return 1
            time.sleep(0.2)
    if argv[1] == "status":
        states = ha_states(password)
        for name, state in states.items():
            print(f"{name}: {state}")
        return 0 if all(s in HEALTHY for s in states.values()) else 1
    if argv[1] == "drop-reservation":
        return drop_reservation(password, argv[2])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
