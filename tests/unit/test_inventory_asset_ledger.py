"""The asset_ledger inventory plugin on good and bad ledgers (no lab needed)."""

from __future__ import annotations

import csv
import io
import shutil
import time
from pathlib import Path

import pytest
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "inventories" / "moriguchi"
HEADER = [
    "資産番号", "ホスト名", "機種", "種別", "接続系", "設置場所", "所属",
    "IPアドレス", "MACアドレス", "IP割当", "OS", "利用者",
]  # fmt: skip
GOOD_ROWS = [
    ["R05-NB-0001", "LGNB0001", "FMVA5513NP", "ノートPC", "LGWAN接続系",
     "守口市役所本庁舎 3階", "市民税務部/課税課", "10.10.20.5", "4C-52-62-00-00-01", "DHCP",
     "Windows 11 Enterprise 23H2", "髙橋　健一"],
    ["R05-DT-0001", "LGDT0001", "FMVD7013NP", "デスクトップPC", "LGWAN接続系",
     "大日サービスコーナー", "市民税務部/大日サービスコーナー", "10.11.2.50", "90:1b:0e:00:00:02",
     "DHCP予約", "Windows 11 Enterprise 23H2", "大日サービスコーナー共用"],
    ["R06-TB-0001", "LGTB0001", "FMVQ7013NP", "2in1PC", "LGWAN接続系",
     "cityhall", "220100", "10.10.20.6", "4c5262000003", "DHCP",
     "Windows 11 Enterprise 23H2", "山﨑　さくら"],
    ["R04-TW-0001", "TWPC0001", "FMVU4513NP", "テレワークPC", "インターネット接続系",
     "守口市役所本庁舎 2階", "人事課", "172.20.64.11", "00-0B-5D-00-00-04", "固定",
     "Windows 11 Enterprise 23H2", "テレワーク貸出用"],
]  # fmt: skip


def load_plugin():
    inventory_loader.add_directory(str(ROOT / "plugins" / "inventory"))
    plugin = inventory_loader.get("asset_ledger")
    assert plugin is not None, "asset_ledger plugin not found"
    return plugin


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def make_inventory(tmp_path: Path, data: bytes, extra_config: str = "") -> Path:
    """A throwaway inventory directory with the estate's masters and the given ledger."""
    (tmp_path / "group_vars" / "all").mkdir(parents=True)
    for name in ("sites.yml", "organisation.yml"):
        shutil.copy(ESTATE / "group_vars" / "all" / name, tmp_path / "group_vars" / "all" / name)
    (tmp_path / "ledgers").mkdir()
    (tmp_path / "ledgers" / "pc_assets.csv").write_bytes(data)
    config = tmp_path / "pcs.asset_ledger.yml"
    config.write_text(
        f"---\nplugin: asset_ledger\npath: ledgers/pc_assets.csv\n{extra_config}", encoding="utf-8"
    )
    return config


def parse(config: Path, inventory: InventoryData | None = None) -> InventoryData:
    inventory = inventory or InventoryData()
    load_plugin().parse(inventory, DataLoader(), str(config), cache=False)
    return inventory


def parse_error(config: Path, inventory: InventoryData | None = None) -> str:
    inventory = inventory or InventoryData()
    with pytest.raises(AnsibleParserError) as err:
        parse(config, inventory)
    assert len(inventory.hosts) == 0 or "already" in str(err.value), "a bad ledger must add no host"
    return str(err.value)


def with_row(index: int, **changes) -> list[list[str]]:
    rows = [list(r) for r in GOOD_ROWS]
    for column, value in changes.items():
        rows[index][HEADER.index(column)] = value
    return rows


# --- good ledgers -------------------------------------------------------------------------------
def test_good_ledger_groups_hosts_by_kind_site_department_segment(tmp_path):
    inv = parse(make_inventory(tmp_path, csv_bytes(GOOD_ROWS)))
    assert sorted(inv.hosts) == ["lgdt0001", "lgnb0001", "lgtb0001", "twpc0001"]
    members = {g: sorted(h.name for h in inv.groups[g].get_hosts()) for g in inv.groups}
    assert members["pc_notebook"] == ["lgnb0001"]
    assert members["pc_desktop"] == ["lgdt0001"]
    assert members["pc_2in1"] == ["lgtb0001"]
    assert members["pc_telework"] == ["twpc0001"]
    assert members["role_pc"] == ["lgdt0001", "lgnb0001", "lgtb0001", "twpc0001"]
    assert members["segment_lgwan"] == ["lgdt0001", "lgnb0001", "lgtb0001"]
    assert members["segment_internet"] == ["twpc0001"]
    assert members["site_cityhall"] == ["lgnb0001", "lgtb0001", "twpc0001"]
    assert members["site_dainichi"] == ["lgdt0001"]
    assert members["dept_140100"] == ["lgnb0001"]
    assert members["dept_220100"] == ["lgtb0001"]  # department given by code
    assert members["dept_120200"] == ["twpc0001"]  # department given by name
    assert members["windows"] == ["lgdt0001", "lgnb0001", "lgtb0001", "twpc0001"]


def test_good_ledger_host_variables_are_normalised(tmp_path):
    inv = parse(make_inventory(tmp_path, csv_bytes(GOOD_ROWS)))
    hv = inv.hosts["lgdt0001"].vars
    assert hv["ansible_host"] == "10.11.2.50"
    assert hv["jichitai_mac"] == "90:1b:0e:00:00:02"
    assert hv["jichitai_computer_name"] == "LGDT0001"
    assert hv["jichitai_site"] == "dainichi"
    assert hv["jichitai_department"] == "140400"
    assert hv["jichitai_segment"] == "lgwan"
    assert hv["jichitai_role"] == "pc"
    assert hv["jichitai_os_family"] == "windows"
    assert hv["jichitai_ip_assignment"] == "reserved"
    assert hv["jichitai_ledger_line"] == 3
    assert inv.hosts["lgtb0001"].vars["jichitai_mac"] == "4c:52:62:00:00:03"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp932"])
def test_extension_kanji_survive_every_encoding(tmp_path, encoding):
    inv = parse(make_inventory(tmp_path, csv_bytes(GOOD_ROWS, encoding=encoding)))
    assert inv.hosts["lgnb0001"].vars["jichitai_user"] == "髙橋\u3000健一"
    assert inv.hosts["lgtb0001"].vars["jichitai_user"] == "山﨑\u3000さくら"
    assert inv.hosts["lgdt0001"].vars["jichitai_location"] == "大日サービスコーナー"


def test_explicit_encoding_option(tmp_path):
    config = make_inventory(tmp_path, csv_bytes(GOOD_ROWS, encoding="cp932"), "encoding: cp932\n")
    assert parse(config).hosts["lgnb0001"].vars["jichitai_user"].startswith("髙橋")


def test_cp932_ledger_read_as_utf8_names_the_line(tmp_path):
    config = make_inventory(tmp_path, csv_bytes(GOOD_ROWS, encoding="cp932"), "encoding: utf-8\n")
    message = parse_error(config)
    assert "line 1:" in message and "utf-8" in message


def test_constructed_groups_and_compose(tmp_path):
    extra = (
        "groups:\n  windows_workgroup: jichitai_segment == 'internet'\n"
        "compose:\n  jichitai_label: jichitai_asset_no\n"
    )
    inv = parse(make_inventory(tmp_path, csv_bytes(GOOD_ROWS), extra))
    assert [h.name for h in inv.groups["windows_workgroup"].get_hosts()] == ["twpc0001"]
    assert inv.hosts["twpc0001"].vars["jichitai_label"] == "R04-TW-0001"


def test_the_estate_ledger_parses(tmp_path):
    config = ESTATE / "pcs.asset_ledger.yml"
    started = time.perf_counter()
    inv = parse(config)
    elapsed = time.perf_counter() - started
    kinds = {k: len(inv.groups[f"pc_{k}"].get_hosts()) for k in ("notebook", "desktop", "2in1", "telework")}
    assert kinds == {"notebook": 1100, "desktop": 100, "2in1": 20, "telework": 30}
    # a figure, not a verdict (machines are noisy): bench inventory_load measures it against its floor
    print(f"asset_ledger: 1,250 rows parsed and validated in {elapsed * 1000:.0f} ms")


# --- bad ledgers: one error naming every bad row, nothing added ---------------------------------
def test_missing_column(tmp_path):
    header = [h for h in HEADER if h != "MACアドレス"]
    rows = [[v for h, v in zip(HEADER, r, strict=True) if h != "MACアドレス"] for r in GOOD_ROWS]
    message = parse_error(make_inventory(tmp_path, csv_bytes(rows, header=header)))
    assert "line 1: missing column(s): MACアドレス" in message


def test_bad_ip_and_bad_mac_name_every_row(tmp_path):
    rows = with_row(1, **{"IPアドレス": "10.11.2.300"})
    rows[2][HEADER.index("MACアドレス")] = "4C-52-62-00-00"
    rows[3][HEADER.index("IPアドレス")] = "172.20.64"
    rows[3][HEADER.index("MACアドレス")] = "01-00-5E-00-00-01"  # multicast, never a NIC
    message = parse_error(make_inventory(tmp_path, csv_bytes(rows)))
    assert "3 problem(s)" in message
    assert "line 2" not in message
    assert "line 3: IPアドレス '10.11.2.300' is not an IP address" in message
    assert "line 4: MACアドレス '4C-52-62-00-00' is not a unicast MAC address" in message
    assert "line 5: IPアドレス '172.20.64' is not an IP address; MACアドレス '01-00-5E-00-00-01'" in message


def test_duplicates_name_both_lines(tmp_path):
    rows = [list(r) for r in GOOD_ROWS]
    dup = list(GOOD_ROWS[0])
    dup[HEADER.index("ホスト名")] = "lgnb0001"  # same computer name, other case
    rows.append(dup)  # line 6: duplicates asset no, host name, IP and MAC of line 2
    other = list(GOOD_ROWS[1])
    other[HEADER.index("資産番号")] = "R05-DT-0099"
    other[HEADER.index("ホスト名")] = "LGDT0099"
    other[HEADER.index("MACアドレス")] = "90-1B-0E-00-00-99"
    rows.append(other)  # line 7: duplicates only the IP of line 3
    message = parse_error(make_inventory(tmp_path, csv_bytes(rows)))
    assert "2 problem(s)" in message
    line6 = next(m for m in message.splitlines() if "line 6:" in m)
    for text in (
        "資産番号 R05-NB-0001",
        "ホスト名 lgnb0001",
        "IPアドレス 10.10.20.5",
        "MACアドレス 4C-52-62-00-00-01",
    ):
        assert f"duplicate {text} (first on line 2)" in line6
    assert "line 7: duplicate IPアドレス 10.11.2.50 (first on line 3)" in message


def test_unknown_site_department_kind_and_segment(tmp_path):
    rows = with_row(0, **{"設置場所": "守口市役所別館"})
    rows[1][HEADER.index("所属")] = "総務部/庶務課"
    rows[2][HEADER.index("種別")] = "タブレット"
    rows[3][HEADER.index("接続系")] = "閉域網"
    message = parse_error(make_inventory(tmp_path, csv_bytes(rows)))
    assert "line 2: 設置場所 '守口市役所別館' is not a site of sites.yml" in message
    assert "line 3: 所属 '総務部/庶務課' is not a department of organisation.yml" in message
    assert "line 4: 種別 'タブレット' is unknown" in message
    assert "line 5: 接続系 '閉域網' is unknown" in message


def test_site_prefix_needs_a_separator(tmp_path):
    message = parse_error(
        make_inventory(tmp_path, csv_bytes(with_row(0, **{"設置場所": "守口市役所本庁舎3階"})))
    )
    assert "line 2: 設置場所 '守口市役所本庁舎3階' is not a site" in message


def test_empty_values_and_wrong_field_count(tmp_path):
    rows = with_row(0, **{"ホスト名": ""})
    rows[1] = rows[1][:-2]
    message = parse_error(make_inventory(tmp_path, csv_bytes(rows)))
    assert "line 2: ホスト名 is empty" in message
    assert "line 3: 10 fields, the header has 12" in message


def test_invalid_computer_name(tmp_path):
    message = parse_error(
        make_inventory(tmp_path, csv_bytes(with_row(0, **{"ホスト名": "LG_NB_0001_TOO_LONG"})))
    )
    assert "line 2: ホスト名 'LG_NB_0001_TOO_LONG' is not a valid computer name" in message


def test_empty_file(tmp_path):
    message = parse_error(make_inventory(tmp_path, b""))
    assert "line 1: the ledger is empty" in message


def test_header_only(tmp_path):
    message = parse_error(make_inventory(tmp_path, csv_bytes([])))
    assert "the ledger has a header but no PCs" in message


def test_host_already_defined_by_another_source(tmp_path):
    inventory = InventoryData()
    inventory.add_host("lgnb0001")
    message = parse_error(make_inventory(tmp_path, csv_bytes(GOOD_ROWS)), inventory)
    assert "line 2: ホスト名 LGNB0001 is already a host of the inventory" in message
    assert set(inventory.hosts) == {"lgnb0001"}


def test_verify_file_wants_the_config_name(tmp_path):
    plugin = load_plugin()
    config = make_inventory(tmp_path, csv_bytes(GOOD_ROWS))
    assert plugin.verify_file(str(config))
    assert not plugin.verify_file(str(tmp_path / "ledgers" / "pc_assets.csv"))
