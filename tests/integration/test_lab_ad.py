"""The lab's Samba AD DC is a real directory and file server, reached through the lab inventory."""

from __future__ import annotations

import ssl
import subprocess

import pytest
import yaml
from conftest import LAB_DIR, REPO, VENV_BIN
from ldap3 import BASE, LEVEL, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPSocketOpenError

pytestmark = pytest.mark.lab

ORG_FILE = REPO / "inventories" / "moriguchi" / "group_vars" / "all" / "organisation.yml"
MODIFY, FULL = 0x001301BF, 0x001F01FF


@pytest.fixture(scope="module")
def org():
    return yaml.safe_load(ORG_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ad(lab, lab_vars):
    return lab_vars("ad01")


def ldaps_server(ad: dict, ca_file: str) -> Server:
    host_port = ad["jichitai_ldap_url"].removeprefix("ldaps://")
    host, port = host_port.rsplit(":", 1)
    tls = Tls(ca_certs_file=ca_file, validate=ssl.CERT_REQUIRED)
    return Server(host, port=int(port), use_ssl=True, tls=tls, connect_timeout=5)


@pytest.fixture(scope="module")
def ldap(ad):
    conn = Connection(
        ldaps_server(ad, ad["jichitai_ldap_ca_file"]),
        user=ad["jichitai_ldap_bind_dn"],
        password=ad["jichitai_ldap_bind_password"],
        auto_bind=True,
    )
    yield conn
    conn.unbind()


def test_ldaps_bind_verifies_the_certificate(ldap, ad):
    assert ldap.bound
    assert ldap.server.ssl
    assert ad["jichitai_ldap_url"].startswith("ldaps://")
    assert ldap.search(ad["jichitai_ldap_base_dn"], "(objectClass=domain)", BASE, attributes=["objectSid"])


def test_ldaps_refuses_a_server_the_ca_does_not_vouch_for(ad, tmp_path):
    """Strict verification really happens: trusting another CA, the lab certificate is refused."""
    other_ca = tmp_path / "other-ca.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=not the lab CA",
            "-days",
            "1",
            "-keyout",
            str(tmp_path / "other-ca.key"),
            "-out",
            str(other_ca),
        ],
        capture_output=True,
        check=True,
    )
    with pytest.raises(LDAPSocketOpenError):
        Connection(ldaps_server(ad, str(other_ca)), auto_bind=True)


def test_every_department_has_its_ou_and_groups(ldap, ad, org):
    base = ad["jichitai_ldap_base_dn"]
    ldap.search(
        f"OU=Departments,{base}", "(objectClass=organizationalUnit)", LEVEL, attributes=["ou", "description"]
    )
    ous = {e.ou.value: e.description.value for e in ldap.entries}
    for dep in org["jichitai_departments"]:  # other tests may add departments of their own
        assert ous.get(dep["code"]) == dep["name"], f"OU={dep['code']}: missing or wrong description"
    ldap.search(
        f"OU=Departments,{base}", "(objectClass=group)", SUBTREE, attributes=["sAMAccountName", "groupType"]
    )
    groups = {e.sAMAccountName.value: e.groupType.value for e in ldap.entries}
    for dep in org["jichitai_departments"]:
        for name in dep["groups"].values():
            assert groups.get(name) == -2147483646, f"{name}: missing or not a global security group"
    retirees = f"{org['jichitai_org_retiree_ou']},{base}"
    assert ldap.search(retirees, "(objectClass=organizationalUnit)", BASE)


def test_sample_user_binds_and_is_in_its_department_groups(ad, lab_vars):
    users = yaml.safe_load((LAB_DIR / "samba" / "sample_users.yml").read_text(encoding="utf-8"))
    manager = next(u for u in users["lab_ad_sample_users"] if u["title"] == "課長")
    conn = Connection(
        ldaps_server(ad, ad["jichitai_ldap_ca_file"]),
        user=f"u{manager['staff_no']}@lab.jichitai.test",
        password=lab_vars("ad01")["vault_lab_ad_user_password"],
        auto_bind=True,
    )
    try:
        conn.search(
            ad["jichitai_ldap_base_dn"],
            f"(sAMAccountName=u{manager['staff_no']})",
            SUBTREE,
            attributes=["memberOf", "department", "title"],
        )
        entry = conn.entries[0]
        groups = {dn.split(",")[0].removeprefix("CN=") for dn in entry.memberOf.values}
        code = manager["department"]
        assert groups >= {f"g-{code}-staff", f"g-{code}-managers"}
        assert entry.title.value == "課長"
    finally:
        conn.unbind()


def smbcacls(ad: dict, password: str, folder: str, tmp_path) -> str:
    auth = tmp_path / "smb-auth"
    auth.touch(mode=0o600)
    auth.write_text(f"username=Administrator\npassword={password}\ndomain=LAB\n", encoding="utf-8")
    proc = subprocess.run(
        [
            "smbcacls",
            "--numeric",
            f"//{ad['jichitai_smb_server']}/{ad['jichitai_smb_share']}",
            folder,
            "-A",
            str(auth),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    auth.unlink()
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_department_folder_acl_read_over_smb(ldap, ad, org, tmp_path):
    dep = next(
        d
        for d in org["jichitai_departments"]
        if d["folder_rights"] == {"staff": "modify", "managers": "full"}
    )
    ldap.search(
        ad["jichitai_ldap_base_dn"],
        f"(sAMAccountName={dep['groups']['staff']})",
        SUBTREE,
        attributes=["objectSid"],
    )
    staff_sid = ldap.entries[0].objectSid.value
    ldap.search(
        ad["jichitai_ldap_base_dn"],
        f"(sAMAccountName={dep['groups']['managers']})",
        SUBTREE,
        attributes=["objectSid"],
    )
    managers_sid = ldap.entries[0].objectSid.value
    out = smbcacls(ad, ad["jichitai_ldap_bind_password"], dep["share_folder"], tmp_path)
    acl = [line.removeprefix("ACL:") for line in out.splitlines() if line.startswith("ACL:")]
    assert f"{staff_sid}:0/0x3/0x{MODIFY:08x}" in acl, out  # allowed, OI|CI, Windows "Modify"
    assert f"{managers_sid}:0/0x3/0x{FULL:08x}" in acl, out
    assert "CONTROL:0x9004" in out, "department folders carry a protected DACL (SR|PD|DP)"


def test_seeding_again_changes_nothing(lab):
    """Seeding converges: whatever a first run corrects, a second run finds nothing to do."""
    script = (
        f'source "{LAB_DIR}/lib.sh"; source "{LAB_DIR}/secrets.sh"; '
        "lab_secret vault_lab_ad_admin_password vault_lab_ad_user_password | "
        f'"{VENV_BIN}/python" "{LAB_DIR}/samba/seed_org.py" --org "{ORG_FILE}" '
        f'--users "{LAB_DIR}/samba/sample_users.yml" --ca "{lab.ca_file}"'
    )
    for _ in range(2):
        proc = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=120, check=False
        )
        assert proc.returncode == 0, proc.stderr
    assert " 0 created, 0 updated," in proc.stderr, proc.stderr
