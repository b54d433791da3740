"""inventories/lab has the production inventory's shape and points only at the lab."""

from __future__ import annotations

import ipaddress
import subprocess
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import LAB_INVENTORY, LAB_VAULT_PASS, REPO, VENV_BIN, inventory_list

PRODUCTION = REPO / "inventories" / "moriguchi"
LAB_NETWORKS = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("198.18.0.0/15")]
STRUCTURAL = ("windows", "linux", "appliance", "ups", "branch_sites")
STRUCTURAL_PREFIXES = ("segment_", "pair_", "site_")
LAB_SECRETS = (
    "vault_lab_ad_admin_password",
    "vault_lab_kea_api_password",
    "vault_lab_nut_password",
    "vault_lab_snmp_rw_community",
    "vault_lab_approver_key",
    "vault_lab_radius_secret",
    "vault_lab_radius_probe_password",
)


@pytest.fixture(scope="module")
def lab_inv():
    return inventory_list(LAB_INVENTORY)


def group_names(inventory_dir) -> set[str]:
    """Every group named in an inventory's hosts.yml, empty ones included (read as data)."""
    data = yaml.safe_load((inventory_dir / "hosts.yml").read_text(encoding="utf-8"))
    names = set()

    def walk(group: dict) -> None:
        for name, sub in (group.get("children") or {}).items():
            names.add(name)
            walk(sub or {})

    walk(data["all"])
    return names


def hosts_of(inv: dict, group: str) -> set[str]:
    entry = inv.get(group, {})
    found = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        found |= hosts_of(inv, child)
    return found


def all_hosts(inv: dict) -> dict[str, dict]:
    return inv["_meta"]["hostvars"]


def in_lab(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip in net for net in LAB_NETWORKS)


def test_lab_has_the_structural_groups_of_production():
    prod_groups, lab_groups = group_names(PRODUCTION), group_names(LAB_INVENTORY)
    wanted = {g for g in prod_groups if g in STRUCTURAL or g.startswith(STRUCTURAL_PREFIXES)}
    assert {"segment_lgwan", "segment_internet", "segment_mynumber", "pair_ad", "pair_dhcp"} <= wanted
    assert sorted(wanted - lab_groups) == []
    lab_roles = {g for g in lab_groups if g.startswith("role_")}
    assert sorted(lab_roles - prod_groups) == [], "lab roles must be production roles"


def test_every_host_sits_in_exactly_one_segment_inside_its_subnets(lab_inv):
    hostvars = all_hosts(lab_inv)
    segments = next(iter(hostvars.values()))["jichitai_segments"]
    members = {name: hosts_of(lab_inv, f"segment_{name}") for name in segments}
    for host, hvars in hostvars.items():
        where = [name for name, hosts in members.items() if host in hosts]
        assert where == [hvars["jichitai_segment"]], f"{host}: segment groups {where}"
        address = hvars.get("ansible_host", "127.0.0.1")
        subnets = [ipaddress.ip_network(s) for s in segments[where[0]]["subnets"]]
        assert any(ipaddress.ip_address(address) in s for s in subnets), (
            f"{host} {address} outside {where[0]}"
        )


def test_shared_contract_variables(lab_inv):
    hostvars = all_hosts(lab_inv)
    ups = hosts_of(lab_inv, "ups")
    site_ids = {s["id"] for s in next(iter(hostvars.values()))["jichitai_sites"]}
    for host, hvars in hostvars.items():
        assert hvars["jichitai_os_family"] in {"windows", "linux", "appliance", "ups"}, host
        assert hvars["jichitai_role"], host
        assert hvars["jichitai_site"] in site_ids, host
        assert set(hvars["jichitai_depends_on"]) <= set(hostvars), f"{host}: unknown dependency"
        family = hvars["jichitai_os_family"]
        # a Linux host the controller itself stands in for (mon01) sits in linux_controller, not in linux
        local = family == "linux" and hvars.get("ansible_connection") == "local"
        assert host in hosts_of(lab_inv, "linux_controller" if local else family), host
        if "jichitai_ups" in hvars:
            assert hvars["jichitai_ups"] in ups, host
        assert "ansible_python_interpreter" in hvars, f"{host}: interpreter not set explicitly"
    assert hosts_of(lab_inv, "linux") & hosts_of(lab_inv, "linux_controller") == set()
    for pair in ("ad", "dhcp", "radius"):
        nodes = hosts_of(lab_inv, f"pair_{pair}")
        assert len(nodes) == 2 and all(hostvars[n]["jichitai_pair"] == pair for n in nodes)


def test_sites_are_production_sites_with_lab_addresses(lab_inv):
    production = yaml.safe_load((PRODUCTION / "group_vars" / "all" / "sites.yml").read_text(encoding="utf-8"))
    lab = next(iter(all_hosts(lab_inv).values()))["jichitai_sites"]
    assert len(lab) == len(production["jichitai_sites"]) == 31
    for ours, theirs in zip(lab, production["jichitai_sites"], strict=True):
        n = theirs["no"]
        lab_networks = ours.get("networks") or [ours["network"]]
        assert f"198.19.{n}.0/24" in lab_networks, ours["id"]
        plain = {k: v for k, v in ours.items() if k not in ("network", "networks")}
        expected = {k: v for k, v in theirs.items() if k not in ("network", "networks")}
        assert plain == expected | {"gateway": f"198.19.{n}.1"}


def test_organisation_master_is_the_production_file():
    lab_org = LAB_INVENTORY / "group_vars" / "all" / "organisation.yml"
    assert lab_org.is_symlink()
    assert lab_org.resolve() == (PRODUCTION / "group_vars" / "all" / "organisation.yml").resolve()


def test_every_endpoint_is_on_loopback_or_in_the_lab_namespaces(lab_inv):
    for host, hvars in all_hosts(lab_inv).items():
        if "ansible_host" in hvars:
            assert in_lab(hvars["ansible_host"]), f"{host}: ansible_host {hvars['ansible_host']}"
        for key, value in hvars.items():
            if not isinstance(value, str) or "{{" in value:
                continue
            if key.endswith("_url"):
                assert in_lab(urlsplit(value).hostname), f"{host}: {key}"
            elif key.endswith(("_address", "_server")):
                assert in_lab(value), f"{host}: {key}"


def vault_plaintext() -> dict:
    proc = subprocess.run(
        [
            str(VENV_BIN / "ansible-vault"),
            "view",
            "--vault-password-file",
            str(LAB_VAULT_PASS),
            str(LAB_INVENTORY / "group_vars" / "all" / "vault.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0, "the lab vault does not open with the lab password file"
    return yaml.safe_load(proc.stdout)


def test_lab_vault_is_encrypted_and_holds_the_lab_secrets():
    raw = (LAB_INVENTORY / "group_vars" / "all" / "vault.yml").read_text()
    assert raw.startswith(("$ANSIBLE_VAULT;1.1;AES256", "$ANSIBLE_VAULT;1.2;AES256;lab"))
    secrets = vault_plaintext()
    missing = [name for name in LAB_SECRETS if not secrets.get(name)]
    assert missing == []


def test_no_lab_secret_appears_in_a_tracked_file():
    secrets = vault_plaintext()
    tracked = subprocess.run(["git", "ls-files", "-z"], capture_output=True, check=True, cwd=REPO).stdout
    leaks = []
    for path in filter(None, tracked.decode().split("\0")):
        file = REPO / path
        if not file.is_file() or file.is_symlink():
            continue
        data = file.read_bytes()
        leaks += [f"{name} in {path}" for name, value in secrets.items() if str(value).encode() in data]
    assert leaks == [], "lab secrets leaked (names only shown)"
