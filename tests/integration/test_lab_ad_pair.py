"""The lab's AD pair is two real domain controllers: ad02 is joined to ad01's domain and replicates
with it, so one controller can be stopped (patching, outage) while LDAPS still answers on the other.

Each test leaves both controllers running, as the session's lab had them.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import time
import uuid

import pytest
from conftest import LAB_DIR, LAB_RUN, run_component
from ldap3 import BASE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException

pytestmark = pytest.mark.lab

SAMBA = LAB_DIR / "components" / "20-samba.sh"
REPLICATION_WAIT = 60  # seconds a change may take to reach the other controller


def samba(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SAMBA), *args],
        capture_output=True,
        text=True,
        env=os.environ | {"LAB_COMPONENT": "20-samba"},
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def dcs(lab, lab_vars):
    return {name: lab_vars(name) for name in ("ad01", "ad02")}


@pytest.fixture
def both_running(dcs):
    """Both controllers run before and after the test, whatever it stopped."""
    for name in dcs:
        assert samba("dc-running", name).returncode == 0, f"{name} is not running"
    yield
    for name in dcs:
        started = samba("start-dc", name)
        assert started.returncode == 0, started.stderr


def connect(dc: dict) -> Connection:
    host, port = dc["jichitai_ldap_url"].removeprefix("ldaps://").rsplit(":", 1)
    tls = Tls(ca_certs_file=dc["jichitai_ldap_ca_file"], validate=ssl.CERT_REQUIRED)
    server = Server(host, port=int(port), use_ssl=True, tls=tls, connect_timeout=5)
    return Connection(
        server,
        user=dc["jichitai_ldap_bind_dn"],
        password=dc["jichitai_ldap_bind_password"],
        auto_bind=True,
        receive_timeout=10,
    )


def read_base(dc: dict) -> str:
    """Bind over LDAPS (the certificate verified for the controller's own address) and read the domain."""
    conn = connect(dc)
    try:
        assert conn.search(
            dc["jichitai_ldap_base_dn"], "(objectClass=domain)", BASE, attributes=["objectSid"]
        )
        return str(conn.entries[0].objectSid)
    finally:
        conn.unbind()


def refuses(dc: dict) -> bool:
    try:
        read_base(dc)
    except LDAPException:
        return True
    return False


def wait_for(dc: dict, dn: str, present: bool) -> bool:
    deadline = time.monotonic() + REPLICATION_WAIT
    conn = connect(dc)
    try:
        while True:
            found = conn.search(dn, "(objectClass=user)", BASE) and len(conn.entries) == 1
            if found == present or time.monotonic() > deadline:
                return found == present
            time.sleep(1)
    finally:
        conn.unbind()


def test_the_controllers_are_two_processes_on_their_own_addresses(dcs):
    assert dcs["ad01"]["jichitai_ldap_url"] == "ldaps://127.0.0.1:636"
    assert dcs["ad02"]["jichitai_ldap_url"] == "ldaps://127.0.0.2:636"
    assert dcs["ad02"]["jichitai_smb_server"] == "127.0.0.2"
    pids = {
        name: (LAB_RUN / "pids" / proc).read_text().strip()
        for name, proc in (("ad01", "samba.pid"), ("ad02", "samba-ad02.pid"))
    }
    assert pids["ad01"] != pids["ad02"]
    assert read_base(dcs["ad01"]) == read_base(dcs["ad02"])  # one domain


@pytest.mark.parametrize(("source", "dest"), [("ad01", "ad02"), ("ad02", "ad01")])
def test_a_user_created_on_one_controller_is_read_on_the_other(dcs, both_running, source, dest):
    origin, target = dcs[source], dcs[dest]
    name = f"pair-{uuid.uuid4().hex[:8]}"
    dn = f"CN={name},CN=Users,{origin['jichitai_ldap_base_dn']}"
    conn = connect(origin)
    try:
        assert conn.add(
            dn,
            ["top", "person", "organizationalPerson", "user"],
            {"sAMAccountName": name, "userAccountControl": 514},
        ), conn.result
        try:
            replicated = samba("replicate", dest, source)
            assert replicated.returncode == 0, replicated.stderr
            assert wait_for(target, dn, present=True), f"{dn} did not reach {dest}"
        finally:
            assert conn.delete(dn), conn.result
        samba("replicate", dest, source)
        assert wait_for(target, dn, present=False), f"the removal of {dn} did not reach {dest}"
    finally:
        conn.unbind()


@pytest.mark.parametrize(("down", "up"), [("ad01", "ad02"), ("ad02", "ad01")])
def test_with_one_controller_stopped_the_other_answers(dcs, both_running, down, up):
    stopped = samba("stop-dc", down)
    assert stopped.returncode == 0, stopped.stderr
    assert samba("dc-running", down).returncode != 0
    assert refuses(dcs[down])
    assert read_base(dcs[up])
    started = samba("start-dc", down)
    assert started.returncode == 0, started.stderr
    assert read_base(dcs[down]) == read_base(dcs[up])


def test_the_joined_controller_serves_its_own_sysvol_and_netlogon(dcs):
    ad02 = dcs["ad02"]
    upn = "Administrator@" + ad02["jichitai_ldap_base_dn"].replace("DC=", "").replace(",", ".").lower()
    for share in ("sysvol", "netlogon"):
        listing = subprocess.run(
            ["smbclient", f"//{ad02['jichitai_smb_server']}/{share}", "-U", upn, "-c", "ls"],
            input="",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=os.environ | {"PASSWD": ad02["jichitai_ldap_bind_password"]},
        )
        assert listing.returncode == 0, f"{share}: {listing.stderr}{listing.stdout}"


def test_status_names_both_controllers(lab):
    result = run_component(SAMBA, "status")
    assert result.returncode == 0, result.stderr
    assert "ad01 running" in result.stderr and "ad02 running" in result.stderr
