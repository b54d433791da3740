"""Onboarding of devices other departments bought, on the lab (playbooks/endpoint_onboard.yml,
REQUIREMENTS OPS-ONBOARD §6-3(9)).

Real: the allocation from the IP ledger, the DHCP reservations on both Kea peers, the computer objects
in Samba AD over LDAPS, the asset ledger and the IP ledger files. The devices themselves are stand-ins
(lab/onboard/device.py: no Windows runs here) that answer as win_package and microsoft.ad.membership do.
One drill on a copy of the lab inventory with an asset ledger: the plan, the apply, the apply again, then
a batch with a taken address and a full scope. Kea, AD and the stand-ins are put back as found.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
import yaml
from appliance_helpers import kea_clients, reservation_set, restored_pair
from ldap3 import SUBTREE, Connection, Server, Tls

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
DEVICE = REPO / "lab" / "onboard" / "device.py"
STATE = REPO / "lab" / "run" / "onboard" / "devices"
HEADER = "資産番号,ホスト名,機種,種別,接続系,設置場所,所属,IPアドレス,MACアドレス,IP割当,OS,利用者"
OLD_PC = (
    "R05-DT-9001",
    "LGDT9001",
    "ESPRIMO D7012",
    "デスクトップPC",
    "LGWAN接続系",
    "守口市役所本庁舎",
    "総務課",
    "198.18.100.60",
    "02-4A-00-90-00-60",
    "固定",
    "Windows 11 Enterprise 23H2",
    "山田　太郎",
)
LEDGER = [HEADER, ",".join(OLD_PC)]
NEW = ["LGNB1201", "LGNB1202", "LGDT1203"]
CITY_HALL = ("LGWAN接続系", "守口市役所本庁舎")


def new_pc(asset, name, kind, department, mac, user, ip="", site=CITY_HALL):
    return ",".join((asset, name, "FMV", kind, *site, department, ip, mac, "", "Windows 11", user))


BATCH = [
    HEADER,
    new_pc("R08-NB-1201", "LGNB1201", "ノートPC", "秘書課", "02-4A-00-91-00-01", "佐藤　花子"),
    new_pc("R08-NB-1202", "LGNB1202", "ノートPC", "秘書課", "02-4A-00-91-00-02", "鈴木　一郎"),
    new_pc("R08-DT-1203", "LGDT1203", "デスクトップPC", "広報広聴課", "02-4A-00-91-00-03", "高橋　次郎"),
]
BAD_BATCH = [
    HEADER,
    new_pc("R08-NB-1301", "LGNB1301", "ノートPC", "秘書課", "02-4A-00-91-01-01", "甲", ip="198.18.100.60"),
    new_pc(
        "R08-NB-1302",
        "LGNB1302",
        "ノートPC",
        "秘書課",
        "02-4A-00-91-01-02",
        "乙",
        site=("LGWAN接続系", "守口市下水終末処理場"),
    ),
]


def product(name, version, product_id, services, reboot=False):
    return {
        "name": name,
        "version": version,
        "publisher": "",
        "product_id": product_id,
        "reboot_on_removal": reboot,
        "services": services,
    }


SEEDS = {  # as the devices arrive: another antivirus, or an old SKYSEA agent
    "lgnb1201": product(
        "Norton Small Business",
        "22.24.1",
        "{5D8F6C6A-1111-4C3B-9F57-0E6B8A3C1201}",
        ["NortonSecurity"],
        reboot=True,
    ),
    "lgnb1202": product(
        "McAfee Endpoint Security Platform", "10.7.0", "{B16DE18D-4D5D-45F8-92BD-8DC17225AFD8}", ["mfemms"]
    ),
    "lgdt1203": product(
        "SKYSEA Client View エージェント",
        "18.1.0.5",
        "{DDC741C9-20FA-4E96-B0C4-16D3781E69F6}",
        ["SKYSEA Client View Agent"],
    ),
}

pytestmark = pytest.mark.lab


def write_csv(path: Path, rows: list[str], bom: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\r\n".join(rows) + "\r\n").encode("utf-8"))


@pytest.fixture
def estate(lab, lab_vars, tmp_path):
    """A copy of the lab inventory with an asset ledger of one PC and a tiny scope at the sewage plant
    (gateway and pool fill it), the stand-in devices as they arrive; afterwards Kea, AD and the stand-ins
    as they were."""
    inventory = tmp_path / "inventories" / "lab"
    shutil.copytree(REPO / "inventories" / "lab", inventory)  # links followed: a copy of the data
    (tmp_path / "lab").symlink_to(REPO / "lab")
    (inventory / "pcs.asset_ledger.yml").write_text(
        "---\nplugin: asset_ledger\npath: ledgers/pc_assets.csv\n"
    )
    write_csv(inventory / "ledgers" / "pc_assets.csv", LEDGER, bom=True)
    scopes_file = inventory / "group_vars" / "pair_dhcp.yml"
    scopes = yaml.safe_load(scopes_file.read_text(encoding="utf-8"))
    scopes["jichitai_dhcp_scopes"].append(
        {
            "name": "gesui-lab",
            "site": "gesui",
            "subnet": "198.19.5.0/30",
            "gateway": "198.19.5.1",
            "pool": {"start": "198.19.5.2", "end": "198.19.5.2"},
        }
    )
    scopes_file.write_text(yaml.safe_dump(scopes, allow_unicode=True, sort_keys=False), encoding="utf-8")
    write_csv(inventory / "onboarding" / "batch.csv", BATCH)
    write_csv(inventory / "onboarding" / "bad.csv", BAD_BATCH)
    for name, seed in SEEDS.items():
        arrives = json.dumps({"installed": [seed], "services": seed["services"]})
        subprocess.run([str(BIN / "python"), str(DEVICE), str(STATE), name, "seed", arrives], check=True)
    clients = kea_clients(lab_vars)
    ad = lab_vars("ad01")
    with restored_pair(clients):
        try:
            yield {"inventory": inventory, "tmp": tmp_path, "kea": clients, "ad": ad}
        finally:
            with directory(ad) as conn:
                for name in NEW:
                    for dn in computer_dns(conn, ad, name):
                        conn.delete(dn)
            for name in SEEDS:
                (STATE / f"{name}.json").unlink(missing_ok=True)


def directory(ad: dict) -> Connection:
    host, port = ad["jichitai_ldap_url"].removeprefix("ldaps://").rsplit(":", 1)
    tls = Tls(ca_certs_file=ad["jichitai_ldap_ca_file"], validate=ssl.CERT_REQUIRED)
    server = Server(host, port=int(port), use_ssl=True, tls=tls, connect_timeout=5)
    return Connection(
        server, user=ad["jichitai_ldap_bind_dn"], password=ad["jichitai_ldap_bind_password"], auto_bind=True
    )


def computer_dns(conn: Connection, ad: dict, name: str) -> list[str]:
    conn.search(
        ad["jichitai_ldap_base_dn"], f"(sAMAccountName={name}$)", SUBTREE, attributes=["userAccountControl"]
    )
    return [entry.entry_dn for entry in conn.entries]


def onboard(estate: dict, batch: str, *args: str) -> subprocess.CompletedProcess:
    inventory = estate["inventory"]
    return playbook(
        estate,
        "endpoint_onboard.yml",
        "-e",
        f"endpoint_onboard_batch={inventory / 'onboarding' / batch}",
        "-e",
        f"endpoint_onboard_report_dir={estate['tmp'] / 'records'}",
        *args,
    )


def playbook(estate: dict, name: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        str(BIN / "ansible-playbook"),
        "-i",
        str(estate["inventory"]),
        str(REPO / "playbooks" / name),
        "--diff",
    ]
    cmd += list(args)
    if "--check" not in args:
        cmd += ["-e", "workplan_unplanned_ok=true", "-e", "workplan_unplanned_reason=onboarding lab test"]
    env = os.environ | {
        "ANSIBLE_CALLBACKS_ENABLED": "workplan",
        "JICHITAI_WORKPLAN_LAB": "1",
        "JICHITAI_WORKPLAN_DIR": str(estate["tmp"] / "plans"),
        "ANSIBLE_FORCE_COLOR": "0",
    }
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False)


def device(name: str) -> dict:
    return json.loads((STATE / f"{name}.json").read_text(encoding="utf-8"))


def changed_counts(result: subprocess.CompletedProcess) -> dict[str, int]:
    recap = result.stdout[result.stdout.rindex("PLAY RECAP") :]
    return {
        line.split()[0]: int(line.split("changed=")[1].split()[0])
        for line in recap.splitlines()
        if "changed=" in line
    }


def state_of(estate: dict) -> tuple:
    inventory = estate["inventory"]
    with directory(estate["ad"]) as conn:
        objects = {name: computer_dns(conn, estate["ad"], name) for name in NEW}
    return (
        {host: reservation_set(client) for host, client in estate["kea"].items()},
        objects,
        {name: device(name) for name in SEEDS},
        (inventory / "ledgers" / "pc_assets.csv").read_bytes(),
        (inventory / "group_vars" / "pair_dhcp.yml").read_bytes(),
    )


def test_plan_then_onboard_three_devices_then_nothing_then_a_bad_batch_changes_nothing(estate):
    before = state_of(estate)
    window = "workplan_window_start=2026-12-16T18:30 workplan_window_end=2026-12-16T20:30"
    plan = onboard(estate, "batch.csv", "--check", "-e", window)
    assert plan.returncode == 0, plan.stdout[-4000:]
    assert state_of(estate) == before, "the check run changed something"
    text = next((estate["tmp"] / "plans").glob("*/plan.md")).read_text(encoding="utf-8")
    norton = text[text.index("- LGNB1201（198.18.100.2、守口市役所本庁舎）") :].splitlines()[0]
    order = [
        "旧ウイルス対策ソフトの削除: Norton Small Business",
        "削除の確認",
        "再起動（削除が求める場合）",
        "インストール: Trend Micro Apex One",
        "インストール: SKYSEA Client View エージェント",
        "インストール: SKYSEA Client View 申請・承認ワークフロー",
        "ドメイン参加: lab.jichitai.test",
        "サービスの確認",
    ]
    positions = [norton.index(step) for step in order]
    assert positions == sorted(positions), norton
    assert "（ウイルス対策なしの区間: 再起動 1 回まで）" in norton
    assert (
        "- LGDT1203（198.18.100.4、守口市役所本庁舎）: インストール: Trend Micro Apex One" in text
    )  # nothing to remove
    for host in ("lgnb1201", "lgnb1202", "lgdt1203"):
        assert f"| {host} |" in text
    reservation = "| 02:4a:00:91:00:01 | 198.18.100.2 | lgnb1201 | — | dhcp01・dhcp02 |"
    assert f"| 追加 | row 1 (line 2, lgnb1201) {reservation}" in text  # on both peers

    applied = onboard(estate, "batch.csv")
    assert applied.returncode == 0, applied.stdout[-6000:]
    wanted = {
        ("02:4a:00:91:00:01", "198.18.100.2", "lgnb1201"),
        ("02:4a:00:91:00:02", "198.18.100.3", "lgnb1202"),
        ("02:4a:00:91:00:03", "198.18.100.4", "lgdt1203"),
    }
    for host, client in estate["kea"].items():
        assert wanted <= reservation_set(client), host
    with directory(estate["ad"]) as conn:
        for name in NEW:
            assert computer_dns(conn, estate["ad"], name) == [
                f"CN={name},CN=Computers,DC=lab,DC=jichitai,DC=test"
            ]
            assert conn.entries[0].userAccountControl.value == 4128  # pre-staged workstation account
    products = {name: {p["name"] for p in device(name)["installed"]} for name in SEEDS}
    assert all(
        "Norton Small Business" not in p and "McAfee Endpoint Security Platform" not in p
        for p in products.values()
    )
    assert all("Trend Micro Apex One セキュリティエージェント" in p for p in products.values())
    assert all(device(name)["domain"] == "lab.jichitai.test" for name in SEEDS)
    assert device("lgnb1201")["reboots"] == 2 and device("lgnb1202")["reboots"] == 1  # removal + join; join
    ledger = (estate["inventory"] / "ledgers" / "pc_assets.csv").read_text(encoding="utf-8-sig").splitlines()
    assert ledger[:2] == LEDGER and len(ledger) == 5
    assert ledger[2].startswith(
        "R08-NB-1201,LGNB1201,FMV,ノートPC,LGWAN接続系,守口市役所本庁舎,秘書課,198.18.100.2,"
    )
    scopes = yaml.safe_load(
        (estate["inventory"] / "group_vars" / "pair_dhcp.yml").read_text(encoding="utf-8")
    )
    ledger_res = {
        (r["mac"], r["ip"], r["hostname"]) for r in scopes["jichitai_dhcp_scopes"][0]["reservations"]
    }
    assert wanted <= ledger_res
    # both ledgers agree: the IP ledger and α-model validation passes on the inventory as onboarding left it
    valid = playbook(estate, "validate_inventory.yml")
    assert valid.returncode == 0, valid.stdout[-3000:]
    record = next((estate["tmp"] / "records").glob("*/endpoint_onboard.md")).read_text(encoding="utf-8")
    assert "導入完了 3 台" in record and "| LGNB1201 | R08-NB-1201 | 198.18.100.2 |" in record

    again = onboard(estate, "batch.csv")
    assert again.returncode == 0, again.stdout[-4000:]
    assert set(changed_counts(again).values()) == {0}, changed_counts(again)
    records = sorted((estate["tmp"] / "records").glob("*/endpoint_onboard.md"))
    assert "導入済み（変更なし） 3 台" in records[-1].read_text(encoding="utf-8")

    settled = state_of(estate)
    bad = onboard(estate, "bad.csv")
    assert bad.returncode != 0
    said = " ".join(bad.stdout.split())
    assert (
        "bad.csv line 2 (LGNB1301): IPアドレス 198.18.100.60 is taken by lgdt9001 (pc_assets.csv line 2)"
        in said
    )
    assert (
        "bad.csv line 3 (LGNB1302): no free address left in scope gesui-lab (198.19.5.0/30) of site gesui"
        in said
    )
    assert state_of(estate) == settled, "a refused batch changed something"

    # lgdt1203 comes back from repair re-imaged: no software, out of the domain, Windows not activated
    fresh = json.dumps({"installed": [], "services": [], "licence": "notification"})
    subprocess.run([str(BIN / "python"), str(DEVICE), str(STATE), "lgdt1203", "seed", fresh], check=True)
    window = "workplan_window_start=2026-12-17T18:30 workplan_window_end=2026-12-17T20:30"
    for old in (estate["tmp"] / "plans").glob("*"):
        shutil.rmtree(old)
    restore_plan = playbook(
        estate, "pc_restore.yml", "--check", "-e", "pc_restore_hosts=lgdt1203", "-e", window
    )
    assert restore_plan.returncode == 0, restore_plan.stdout[-4000:]
    assert device("lgdt1203")["installed"] == [], "the check run changed the PC"
    text = next((estate["tmp"] / "plans").glob("*/plan.md")).read_text(encoding="utf-8")
    line = text[text.index("- LGDT1203: ") :].splitlines()[0]
    order = ["Trend Micro Apex One", "SKYSEA Client View エージェント", "申請・承認ワークフロー"]
    order += ["Adobe Acrobat Pro", "ドメイン参加", "ライセンス認証（KMS）", "更新プログラムの適用"]
    order += ["サービスの確認"]
    positions = [line.index(step) for step in order]
    assert positions == sorted(positions), line

    restored = playbook(estate, "pc_restore.yml", "-e", "pc_restore_hosts=lgdt1203")
    assert restored.returncode == 0, restored.stdout[-4000:]
    back = device("lgdt1203")
    assert {p["name"] for p in back["installed"]} >= {
        "Trend Micro Apex One セキュリティエージェント",
        "Adobe Acrobat Pro",
    }
    assert back["domain"] == "lab.jichitai.test" and back["licence"] == "licensed"
    again = playbook(estate, "pc_restore.yml", "-e", "pc_restore_hosts=lgdt1203")
    assert again.returncode == 0, again.stdout[-4000:]
    assert set(changed_counts(again).values()) == {0}, changed_counts(again)
