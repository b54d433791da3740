"""The liveness sweep against real listeners on loopback: open, closed, TLS with a short-lived
certificate, a listener whose full accept queue drops the first SYN; the module's refusals; the
inventory filter on the real inventories; the Prometheus textfile."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ansible.module_utils.sweep.engine import sweep
from ansible.module_utils.sweep.metrics import render, write_atomically
from ansible.module_utils.sweep.targets import target_problems
from estate_helpers import inventory_list, plain

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "filter_plugins"))
from sweep_targets import sweep_targets  # noqa: E402


def listener(address: str, backlog: int = 64) -> socket.socket:
    sock = socket.socket()
    sock.bind((address, 0))
    sock.listen(backlog)
    return sock


def closed_port(address: str) -> int:
    sock = socket.socket()
    sock.bind((address, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def tls_server(tmp_path):
    """A TLS listener on 127.0.0.7 with a self-made certificate valid 5 days; yields (port, cert path)."""
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "5", "-subj", "/CN=sweep.test", "-addext", "subjectAltName=DNS:sweep.test,IP:127.0.0.7"],
        check=True, capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sock = listener("127.0.0.7")
    stop = threading.Event()

    def serve():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1], cert
    stop.set()
    thread.join()
    sock.close()


def one(report, name):
    return next(t for t in report["targets"] if t["name"] == name)


def test_open_closed_and_worst_state():
    up = listener("127.0.0.3")
    try:
        dead = closed_port("127.0.0.4")
        report = sweep([
            {"name": "up", "address": "127.0.0.3", "checks": [{"type": "tcp", "port": up.getsockname()[1]}]},
            {"name": "mixed", "address": "127.0.0.3",
             "checks": [{"type": "tcp", "port": up.getsockname()[1]},
                        {"type": "tcp", "port": dead, "address": "127.0.0.4"}]},
        ], timeout=1.0)
    finally:
        up.close()
    assert one(report, "up")["state"] == "OK" and one(report, "up")["state_code"] == 0
    assert one(report, "up")["checks"][0]["latency_ms"] is not None
    mixed = one(report, "mixed")
    assert mixed["state"] == "CRITICAL" and mixed["state_code"] == 2
    assert mixed["checks"][1]["attempts"] == 2  # retried once before it counted as down
    assert "refused" in mixed["checks"][1]["detail"]
    assert report["down"] == ["mixed"]
    assert report["summary"] == {"OK": 1, "WARNING": 0, "CRITICAL": 1, "UNKNOWN": 0}


def test_tls_short_lived_certificate_is_warning(tls_server):
    port, cert = tls_server
    report = sweep([
        {"name": "plain", "address": "127.0.0.7", "checks": [{"type": "tls", "port": port}]},
        {"name": "verified", "address": "127.0.0.7",
         "checks": [{"type": "tls", "port": port, "ca_file": str(cert), "server_name": "sweep.test"}]},
        {"name": "wrong-name", "address": "127.0.0.7",
         "checks": [{"type": "tls", "port": port, "ca_file": str(cert), "server_name": "other.test"}]},
    ], timeout=3.0, cert_warning_days=30)
    for name in ("plain", "verified"):
        check = one(report, name)["checks"][0]
        assert check["state"] == "WARNING", check
        assert 4 < check["cert_days_left"] <= 5
        assert check["cert_not_after"].endswith("Z")
    assert one(report, "wrong-name")["state"] == "CRITICAL"
    assert "not trusted" in one(report, "wrong-name")["checks"][0]["detail"]
    relaxed = sweep([{"name": "plain", "address": "127.0.0.7", "checks": [{"type": "tls", "port": port}]}],
                    cert_warning_days=2)
    assert relaxed["targets"][0]["state"] == "OK"


def listen_overflows() -> int:
    lines = Path("/proc/net/netstat").read_text().splitlines()
    pairs = zip(lines, lines[1:], strict=False)
    header, values = next((a, b) for a, b in pairs if a.startswith("TcpExt:") and b.startswith("TcpExt:"))
    return int(dict(zip(header.split(), values.split(), strict=False))["ListenOverflows"])


def test_full_accept_queue_drops_the_first_connect_and_the_retry_finds_it_up():
    """backlog 0 admits one queued connection: a filler takes it, so the probe's SYN is dropped (the
    kernel counts a ListenOverflow); only then is the queue drained, and the retry gets through."""
    sock = listener("127.0.0.8", backlog=0)
    port = sock.getsockname()[1]
    filler = socket.create_connection(("127.0.0.8", port))
    before = listen_overflows()
    accepted = []

    def drain_after_drop():
        deadline = time.monotonic() + 10
        while listen_overflows() == before and time.monotonic() < deadline:
            time.sleep(0.005)
        sock.settimeout(0.2)
        end = time.monotonic() + 3
        while time.monotonic() < end:
            with contextlib.suppress(OSError):
                accepted.append(sock.accept()[0])

    thread = threading.Thread(target=drain_after_drop, daemon=True)
    thread.start()
    try:
        # the SYN is retransmitted only after 1 s: an attempt of 0.5 s fails for good
        report = sweep([{"name": "busy", "address": "127.0.0.8", "checks": [{"type": "tcp", "port": port}]}],
                       timeout=0.5, retries=1)
    finally:
        thread.join()
        filler.close()
        for conn in accepted:
            conn.close()
        sock.close()
    check = report["targets"][0]["checks"][0]
    assert listen_overflows() > before
    assert check["state"] == "OK", check
    assert check["attempts"] == 2


def test_without_retry_a_dropped_connect_counts_as_down():
    sock = listener("127.0.0.9", backlog=0)
    port = sock.getsockname()[1]
    filler = socket.create_connection(("127.0.0.9", port))
    try:
        report = sweep([{"name": "busy", "address": "127.0.0.9", "checks": [{"type": "tcp", "port": port}]}],
                       timeout=0.5, retries=0)
    finally:
        filler.close()
        sock.close()
    assert report["targets"][0]["state"] == "CRITICAL"
    assert report["targets"][0]["checks"][0]["attempts"] == 1


ICMP_SWEEP = """
import json, sys
import ansible.module_utils
ansible.module_utils.__path__.append(sys.argv[1])
from ansible.module_utils.sweep.engine import sweep
from ansible.module_utils.sweep.icmp import open_socket
sock, kind = open_socket()
report = sweep([{"name": "lo", "address": "127.0.0.10", "checks": [{"type": "icmp"}]}], timeout=1.0)
print(json.dumps({"socket": kind, "check": report["targets"][0]["checks"][0]}))
"""


@pytest.mark.parametrize(
    ("socket_kind", "setup", "user", "state"),
    [
        ("dgram", 'sysctl -qw net.ipv4.ping_group_range="0 0"', [], "OK"),
        ("raw", 'sysctl -qw net.ipv4.ping_group_range="1 0"', [], "OK"),
        ("ICMP not permitted here", 'sysctl -qw net.ipv4.ping_group_range="1 0"',
         ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"], "UNKNOWN"),
    ],
)
def test_icmp_socket_choice(socket_kind, setup, user, state):
    """Each case in a network namespace of its own, whose ping_group_range is its own too."""
    if os.geteuid() != 0:
        pytest.skip("a network namespace needs root")
    command = shlex.join([*user, sys.executable, "-c", ICMP_SWEEP, str(REPO / "plugins" / "module_utils")])
    proc = subprocess.run(["unshare", "-n", "sh", "-c", f"ip link set lo up && {setup} && {command}"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["socket"] == socket_kind
    assert result["check"]["state"] == state, result
    if state == "UNKNOWN":
        assert result["check"]["detail"].endswith("ICMP not permitted here")


def test_bad_targets_are_refused_each_named():
    problems = target_problems([
        {"name": "noaddr", "checks": [{"type": "tcp", "port": 22}]},
        {"name": "kind", "address": "127.0.0.1", "checks": [{"type": "http", "port": 80}]},
        {"name": "range", "address": "127.0.0.1", "checks": [{"type": "tls", "port": 70000}]},
        {"name": "words", "address": "127.0.0.1", "checks": [{"type": "tcp", "port": "ssh"}]},
        {"name": "good", "address": "127.0.0.1", "checks": [{"type": "icmp"}]},
    ])
    text = "\n".join(problems)
    assert len(problems) == 4, problems
    for name in ("noaddr", "kind", "range", "words"):
        assert f"'{name}'" in text
    assert "'good'" not in text


def test_module_refuses_before_any_probe(tmp_path):
    args = {"ANSIBLE_MODULE_ARGS": {"targets": [
        {"name": "a", "checks": [{"type": "tcp", "port": 22}]},
        {"name": "b", "address": "127.0.0.1", "checks": [{"type": "udp", "port": 0}]},
    ]}}
    path = tmp_path / "args.json"
    path.write_text(json.dumps(args))
    env = os.environ | {"PYTHONPATH": str(REPO / "tests" / "unit")}
    proc = subprocess.run([sys.executable, "-c", RUN_MODULE, str(path)], capture_output=True, text=True,
                          env=env, check=False, cwd=REPO)
    result = json.loads(proc.stdout)
    assert result["failed"] is True
    assert "'a'" in result["msg"] and "'b'" in result["msg"] and "udp" in result["msg"]
    assert "targets" not in result


RUN_MODULE = """
import runpy, sys
import ansible.module_utils
ansible.module_utils.__path__.append('plugins/module_utils')
sys.argv = ['liveness_sweep', sys.argv[1]]
runpy.run_path('library/liveness_sweep.py', run_name='__main__')
"""


@pytest.mark.parametrize("inventory", ["lab", "moriguchi"])
def test_filter_on_the_real_inventories(inventory):
    data = inventory_list(REPO / "inventories" / inventory)
    hostvars = plain(data["_meta"]["hostvars"])
    targets = sweep_targets(sorted(hostvars), hostvars)
    assert [t["name"] for t in targets] == sorted(hostvars)
    assert not target_problems(targets)
    by_name = {t["name"]: t for t in targets}
    kinds = {name: [(c["type"], c.get("port")) for c in t["checks"]] for name, t in by_name.items()}
    assert kinds["ad01"][-2:] == [("tls", 636), ("tcp", 445)]
    linux = [n for n, h in hostvars.items() if h.get("jichitai_os_family") == "linux"]
    # a Linux host the controller itself stands in for (the lab's mon01) is not reached over ssh
    ssh = [n for n in linux if hostvars[n].get("ansible_connection") != "local"]
    assert ssh and all(kinds[n][0] == ("tcp", 22) for n in ssh)
    overridden = {n for n, h in hostvars.items() if h.get("jichitai_sweep_checks")}
    assert all(kinds[n] == [("icmp", None)] for n in set(linux) - set(ssh) - overridden)
    assert all(k == [("icmp", None)] for n, k in kinds.items() if n.startswith("gw-"))
    if inventory == "lab":
        assert by_name["dhcp01"]["checks"] == [{"type": "tcp", "port": 8001, "address": "127.0.0.1"}]
        assert by_name["ups01"]["checks"] == [{"type": "tcp", "port": 3493, "address": "127.0.0.1"}]
        assert kinds["ad01"] == [("tls", 636), ("tcp", 445)]  # no WinRM in the lab: reached locally
        assert kinds["mon01"] == [("tcp", 9090), ("tcp", 9093)]  # its engines, not the loopback
    else:
        assert kinds["ad01"][0] == ("tls", 5986)
        pcs = [n for n, h in hostvars.items() if h.get("jichitai_role") == "pc"]
        assert len(pcs) > 1000
        assert all(kinds[n] == [("icmp", None), ("tcp", 445)] for n in pcs)


def test_filter_names_hosts_without_address():
    with pytest.raises(Exception, match="lost.*neither jichitai_address nor ansible_host"):
        sweep_targets(["ok", "lost"], {"ok": {"ansible_host": "10.0.0.1"}, "lost": {"jichitai_role": "dhcp"}})
    hostvars = {"x": {"ansible_host": "10.0.0.1", "jichitai_sweep_checks": [{"type": "icmp"}]}}
    override = sweep_targets("x", hostvars)
    assert override[0]["checks"] == [{"type": "icmp"}]


def test_textfile_format_and_escaping(tmp_path):
    report = {"duration_seconds": 0.25, "targets": [
        {"name": 'we"ird\\name\n', "checks": [
            {"type": "tls", "port": 636, "address": "127.0.0.1", "state": "WARNING", "state_code": 1,
             "latency_ms": 2.5, "cert_days_left": 4.5},
            {"type": "icmp", "port": None, "address": "127.0.0.2", "state": "UNKNOWN", "state_code": 3,
             "latency_ms": None},
            {"type": "tcp", "port": 22, "address": "127.0.0.3", "state": "CRITICAL", "state_code": 2,
             "latency_ms": None},
        ]}]}
    text = render(report)
    label = 'target="we\\"ird\\\\name\\n"'
    assert f'jichitai_sweep_up{{{label},check="tls",port="636",address="127.0.0.1"}} 1' in text
    assert f'jichitai_sweep_up{{{label},check="tcp",port="22",address="127.0.0.3"}} 0' in text
    assert 'check="icmp"' in text and "jichitai_sweep_up{" + label + ',check="icmp"' not in text
    tls = f'{{{label},check="tls",port="636",address="127.0.0.1"}}'
    assert f"jichitai_sweep_latency_seconds{tls} 0.002500" in text
    assert f"jichitai_sweep_cert_expiry_days{tls} 4.5" in text
    assert "\njichitai_sweep_duration_seconds 0.25\n" in text
    for line in text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or line.startswith("jichitai_sweep_")
    target = tmp_path / "sweep.prom"
    write_atomically(str(target), text)
    assert target.read_text() == text and oct(target.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir()] == ["sweep.prom"]


def test_names_are_resolved_and_an_unknown_name_is_critical():
    up = listener("127.0.0.1")
    try:
        report = sweep([
            {"name": "named", "address": "localhost",
             "checks": [{"type": "tcp", "port": up.getsockname()[1]}, {"type": "icmp"}]},
            {"name": "nowhere", "address": "no-such-host.invalid", "checks": [{"type": "tcp", "port": 22}]},
        ], timeout=2.0)
    finally:
        up.close()
    named = one(report, "named")
    assert named["checks"][0]["state"] == "OK"
    assert named["checks"][1]["state"] in ("OK", "UNKNOWN")  # UNKNOWN where ICMP is not permitted
    assert one(report, "nowhere")["state"] == "CRITICAL"
    assert "does not resolve" in one(report, "nowhere")["checks"][0]["detail"]
