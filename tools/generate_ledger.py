#!/usr/bin/env python3
"""Generate the synthetic PC asset ledger of the reference estate, deterministically.

The ledger looks like what the asset-management system (SKYSEA Client View and the like) exports:
Japanese headers, one row per PC, CRLF line ends, UTF-8 with BOM by default or CP932
(``--encoding cp932``), including personal names with NEC/IBM extension kanji (髙, 﨑).
Contract quantities (REQUIREMENTS §1 table 2): 1,100 notebooks, 100 desktops, 20 2-in-1 and
30 telework PCs.  Sites and departments come from the inventory's sites.yml and
organisation.yml; addresses follow the address plan below.  The DHCP scopes of the LGWAN DHCP
pair, with a reservation for every PC the ledger marks DHCP予約, are written beside it.

    tools/generate_ledger.py                      # rewrite ledger and scopes
    tools/generate_ledger.py --encoding cp932 --output /tmp/pc_assets_cp932.csv
    tools/generate_ledger.py --check              # exit 1 if the committed files are stale
"""

from __future__ import annotations

import argparse
import csv
import io
import ipaddress
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INVENTORY = ROOT / "inventories" / "moriguchi"
LEDGER_RELPATH = Path("ledgers") / "pc_assets.csv"
SCOPES_RELPATH = Path("group_vars") / "pair_dhcp.yml"
DEFAULT_SEED = 20240401

HEADERS = [
    "資産番号",
    "ホスト名",
    "機種",
    "種別",
    "接続系",
    "設置場所",
    "所属",
    "IPアドレス",
    "MACアドレス",
    "IP割当",
    "OS",
    "利用者",
]
SEGMENT_LABELS = {
    "lgwan": "LGWAN接続系",
    "internet": "インターネット接続系",
    "mynumber": "個人番号利用事務系",
}
OS_NAME = "Windows 11 Enterprise 23H2"  # one version everywhere (§2-2(8))


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # 種別 as the asset system writes it
    host_prefix: str
    asset_prefix: str
    model: str  # one model per device kind (§2-2(7))
    oui: str
    segment: str
    assignment: str  # IP割当


KINDS = {
    "notebook": Kind("notebook", "ノートPC", "LGNB", "R05-NB", "FMVA5513NP", "4C-52-62", "lgwan", "DHCP"),
    "desktop": Kind(
        "desktop", "デスクトップPC", "LGDT", "R05-DT", "FMVD7013NP", "90-1B-0E", "lgwan", "DHCP予約"
    ),
    "2in1": Kind("2in1", "2in1PC", "LGTB", "R06-TB", "FMVQ7013NP", "4C-52-62", "lgwan", "DHCP"),
    "telework": Kind(
        "telework", "テレワークPC", "TWPC", "R04-TW", "FMVU4513NP", "00-0B-5D", "internet", "固定"
    ),
}

# How many PCs of each kind sit where. Branch sites with their own department take the numbers
# below; other branch sites (schools, child centres, care facility) get PCs of the department
# that runs them. Everything else is at city hall, spread by department weight.
BRANCH_NOTEBOOKS = {
    "suidokyoku": 50,
    "shobo_honbu": 40,
    "hoken_center": 25,
    "gesui": 10,
    "dainichi": 6,
    "jido_center": 5,
}
NOTEBOOKS_BY_SITE_KIND = {
    "elementary_school": 4,
    "junior_high_school": 4,
    "compulsory_school": 4,
    "certified_child_centre": 3,
    "care_facility": 3,
}
DEPARTMENT_BY_SITE_KIND = {
    "elementary_school": "200200",
    "junior_high_school": "200200",
    "compulsory_school": "200200",
    "certified_child_centre": "160200",
    "care_facility": "150500",
}
BRANCH_DESKTOPS = {"dainichi": 4, "hoken_center": 2, "suidokyoku": 4}
# Counter terminals at city hall (desktops, reserved addresses).
CITYHALL_DESKTOPS = {
    "140300": 20,
    "140100": 10,
    "140200": 10,
    "150100": 8,
    "150300": 8,
    "150200": 6,
    "150400": 6,
    "150500": 6,
    "160100": 6,
    "210100": 4,
    "130400": 2,
    "120200": 2,
    "130300": 2,
}
CITYHALL_2IN1 = {"220100": 6, "130300": 4, "120300": 4, "110100": 3, "110200": 3}
# Relative size of city hall departments for notebooks (default 3).
CITYHALL_WEIGHTS = {
    "140300": 6,
    "140100": 6,
    "140200": 5,
    "150100": 5,
    "150200": 4,
    "150300": 6,
    "150400": 5,
    "150500": 5,
    "160100": 5,
    "120100": 4,
    "120200": 3,
    "130300": 3,
    "180100": 4,
    "180200": 4,
    "200100": 3,
    "200200": 4,
    "220100": 2,
    "110100": 2,
    "110200": 2,
    "120300": 2,
}
TOTALS = {"notebook": 1100, "desktop": 100, "2in1": 20, "telework": 30}
TELEWORK_NETWORK = ipaddress.ip_network("172.20.64.0/24")  # closed-network mobile Wi-Fi (#23)
TELEWORK_FIRST_HOST = 11

SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
    "石川",
    "山下",
    "中島",
    "石井",
    "小川",
    "前田",
    "岡田",
    "長谷川",
    "藤田",
    "後藤",
    "近藤",
    "村上",
    "遠藤",
    "青木",
    "坂本",
    "福田",
    "西村",
    "藤井",
    "岡本",
    "藤原",
    "中野",
    "原田",
    "松田",
    "竹内",
    "小野",
    "田村",
    "中山",
    "和田",
    "石田",
    "森田",
    "上田",
    "柴田",
    "酒井",
    "横山",
    "宮本",
    "内田",
    "安藤",
    "谷口",
    "大野",
    "今井",
    "藤本",
    "武田",
    "村田",
    "上野",
    "杉山",
    "平野",
    "大塚",
    "松井",
    "野口",
    "松尾",
    "木下",
    "大西",
    "浜田",
    "市川",
    "水野",
    "島田",
    "古川",
    "西田",
    "北村",
    "安田",
    "中田",
    "川口",
    "辻",
    "吉村",
    "岩田",
    "中西",
    "服部",
    "樋口",
    "川上",
    "松岡",
    "森本",
    "矢野",
    "大橋",
    "吉岡",
    "馬場",
    "野田",
    "田辺",
    "黒田",
    "尾崎",
    "永田",
    "松村",
    "西山",
    "大谷",
    "平井",
    "片山",
    "岡崎",
    "宮田",
    "小西",
    "南",
    "奥村",
]
# The official spellings with NEC/IBM extension kanji, as HR and asset systems keep them.
EXTENSION_SURNAMES = ["髙橋", "山﨑", "宮﨑", "髙木", "岡﨑"]
GIVEN_NAMES = [
    "健一",
    "誠",
    "大輔",
    "翔太",
    "拓也",
    "直樹",
    "和也",
    "達也",
    "哲也",
    "浩二",
    "隆",
    "勇気",
    "悠斗",
    "亮",
    "修",
    "剛",
    "博之",
    "雅人",
    "康弘",
    "慎也",
    "美咲",
    "さくら",
    "陽子",
    "恵子",
    "由美",
    "真由美",
    "裕子",
    "明美",
    "愛",
    "彩",
    "舞",
    "香織",
    "智子",
    "直美",
    "久美子",
    "千尋",
    "結衣",
    "奈々",
    "麻衣",
    "優子",
    "理恵",
    "早苗",
    "純子",
    "幸子",
    "陽菜",
    "葵",
    "美穂",
    "涼子",
]


def load_yaml(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def spread(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Largest-remainder split of total over weighted keys, in key order."""
    weight_sum = sum(weights.values())
    exact = {k: total * w / weight_sum for k, w in weights.items()}
    counts = {k: int(v) for k, v in exact.items()}
    by_remainder = sorted(weights, key=lambda k: (-(exact[k] - counts[k]), list(weights).index(k)))
    for k in by_remainder[: total - sum(counts.values())]:
        counts[k] += 1
    return counts


class AddressPlan:
    """PC addresses of one LGWAN site: reserved range for fixed placements, dynamic pool for the rest."""

    def __init__(self, site: dict, rng: random.Random):
        network = ipaddress.ip_network(site["network"])
        if network.prefixlen <= 20:  # city hall: PCs on the /20 sixteen /24s into the site network
            self.subnet = ipaddress.ip_network(f"{network.network_address + 16 * 256}/20")
            base = int(self.subnet.network_address)
            self.reserved = (base + 10, base + 4 * 256 - 2)
            self.pool = (base + 4 * 256 + 1, int(self.subnet.broadcast_address) - 1)
        else:  # branch /24: .50-.99 reserved, .100-.250 pool
            self.subnet = network
            base = int(network.network_address)
            self.reserved = (base + 50, base + 99)
            self.pool = (base + 100, base + 250)
        self.gateway = ipaddress.ip_address(int(self.subnet.network_address) + 1)
        self._next_reserved = self.reserved[0]
        pool = list(range(self.pool[0], self.pool[1] + 1))
        rng.shuffle(pool)  # leases as DHCP hands them out, not in order
        self._pool = pool

    def take(self, assignment: str) -> str:
        if assignment == "DHCP予約":
            if self._next_reserved > self.reserved[1]:
                raise SystemExit(f"reserved range of {self.subnet} exhausted")
            addr = self._next_reserved
            self._next_reserved += 1
        else:
            if not self._pool:
                raise SystemExit(f"dynamic pool of {self.subnet} exhausted")
            addr = self._pool.pop()
        return str(ipaddress.ip_address(addr))


class Generator:
    def __init__(self, inventory: Path, seed: int):
        self.rng = random.Random(seed)
        self.sites = load_yaml(inventory / "group_vars" / "all" / "sites.yml")["jichitai_sites"]
        self.departments = load_yaml(inventory / "group_vars" / "all" / "organisation.yml")[
            "jichitai_departments"
        ]
        self.site_by_id = {s["id"]: s for s in self.sites}
        self.dept_by_code = {d["code"]: d for d in self.departments}
        self.plans = {s["id"]: AddressPlan(s, self.rng) for s in self.sites}
        self.macs: set[str] = set()
        self.names: set[str] = set()
        self.serial = dict.fromkeys(KINDS, 0)
        self.telework_next = TELEWORK_FIRST_HOST

    # --- placement -------------------------------------------------------------------------
    def placements(self) -> list[tuple[str, str, str]]:
        """(kind, site id, department code) for every PC, in ledger order."""
        city_hall = next(s["id"] for s in self.sites if s["kind"] == "city_hall")
        out: list[tuple[str, str, str]] = []
        branch_notebooks = 0
        for site in self.sites:
            if site["id"] == city_hall:
                continue
            own = [d["code"] for d in self.departments if d["site"] == site["id"]]
            if own:
                count = BRANCH_NOTEBOOKS.get(site["id"], 5)
                for code, n in spread(count, dict.fromkeys(own, 1)).items():
                    out += [("notebook", site["id"], code)] * n
            elif site["kind"] in DEPARTMENT_BY_SITE_KIND:
                count = NOTEBOOKS_BY_SITE_KIND[site["kind"]]
                out += [("notebook", site["id"], DEPARTMENT_BY_SITE_KIND[site["kind"]])] * count
            else:
                count = 0
            branch_notebooks += count
            if site["id"] in BRANCH_DESKTOPS:
                code = own[0] if own else DEPARTMENT_BY_SITE_KIND[site["kind"]]
                out += [("desktop", site["id"], code)] * BRANCH_DESKTOPS[site["id"]]
        hall_depts = [d["code"] for d in self.departments if d["site"] == city_hall]
        weights = {c: CITYHALL_WEIGHTS.get(c, 3) for c in hall_depts}
        for code, n in spread(TOTALS["notebook"] - branch_notebooks, weights).items():
            out += [("notebook", city_hall, code)] * n
        for code, n in CITYHALL_DESKTOPS.items():
            out += [("desktop", city_hall, code)] * n
        for code, n in CITYHALL_2IN1.items():
            out += [("2in1", city_hall, code)] * n
        for code in self.rng.sample(hall_depts, TOTALS["telework"] // 2):
            out += [("telework", city_hall, code)] * 2
        counts = {k: sum(1 for p in out if p[0] == k) for k in KINDS}
        if counts != TOTALS:
            raise SystemExit(f"placement does not meet the contract quantities: {counts} != {TOTALS}")
        return out

    # --- row fields ------------------------------------------------------------------------
    def mac(self, kind: Kind) -> str:
        while True:
            tail = "-".join(f"{self.rng.randrange(256):02X}" for _ in range(3))
            mac = f"{kind.oui}-{tail}"
            if mac not in self.macs:
                self.macs.add(mac)
                return mac

    def person(self) -> str:
        while True:
            if self.rng.random() < 0.02:
                surname = self.rng.choice(EXTENSION_SURNAMES)
            else:
                surname = self.rng.choice(SURNAMES)
            name = f"{surname}\u3000{self.rng.choice(GIVEN_NAMES)}"
            if name not in self.names:
                self.names.add(name)
                return name

    def address(self, kind: Kind, site_id: str) -> str:
        if kind.segment == "internet":
            addr = TELEWORK_NETWORK.network_address + self.telework_next
            self.telework_next += 1
            return str(addr)
        return self.plans[site_id].take(kind.assignment)

    def location(self, site: dict, dept: dict) -> str:
        if site["kind"] == "city_hall":
            floor = 1 + int(dept["code"][:2]) % 7
            return f"{site['name']} {floor}階"
        return site["name"]

    def user(self, kind: Kind, dept: dict) -> str:
        if kind.key == "desktop":
            return f"{dept['name']}共用"
        if kind.key == "telework":
            return "テレワーク貸出用"
        return self.person()

    def rows(self) -> list[dict[str, str]]:
        rows = []
        for kind_key, site_id, code in self.placements():
            kind = KINDS[kind_key]
            self.serial[kind_key] += 1
            n = self.serial[kind_key]
            site, dept = self.site_by_id[site_id], self.dept_by_code[code]
            rows.append(
                {
                    "資産番号": f"{kind.asset_prefix}-{n:04d}",
                    "ホスト名": f"{kind.host_prefix}{n:04d}",
                    "機種": kind.model,
                    "種別": kind.label,
                    "接続系": SEGMENT_LABELS[kind.segment],
                    "設置場所": self.location(site, dept),
                    "所属": dept["skysea_group"],
                    "IPアドレス": self.address(kind, site_id),
                    "MACアドレス": self.mac(kind),
                    "IP割当": kind.assignment,
                    "OS": OS_NAME,
                    "利用者": self.user(kind, dept),
                }
            )
        missing = [s for s in EXTENSION_SURNAMES[:2] if not any(r["利用者"].startswith(s) for r in rows)]
        if missing:
            raise SystemExit(f"seed yields no user named {missing}; choose another seed")
        return rows

    # --- DHCP scopes -----------------------------------------------------------------------
    def scopes(self, rows: list[dict[str, str]]) -> list[dict]:
        site_by_name = {s["name"]: s["id"] for s in self.sites}
        reserved: dict[str, list[dict]] = {}
        for row in rows:
            if row["IP割当"] != "DHCP予約":
                continue
            site_id = site_by_name[row["設置場所"].split(" ")[0]]
            reserved.setdefault(site_id, []).append(
                {
                    "hostname": row["ホスト名"].lower(),
                    "mac": row["MACアドレス"].lower().replace("-", ":"),
                    "ip": row["IPアドレス"],
                }
            )
        out = []
        for site in self.sites:
            plan = self.plans[site["id"]]
            out.append(
                {
                    "name": f"{site['id']}-pc",
                    "site": site["id"],
                    "subnet": str(plan.subnet),
                    "gateway": str(plan.gateway),
                    "pool": {
                        "start": str(ipaddress.ip_address(plan.pool[0])),
                        "end": str(ipaddress.ip_address(plan.pool[1])),
                    },
                    "reservations": reserved.get(site["id"], []),
                }
            )
        return out


def render_csv(rows: list[dict[str, str]], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=HEADERS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)  # strict: a name CP932 cannot carry fails here


def render_scopes(scopes: list[dict]) -> bytes:
    lines = [
        "---",
        "# DHCP scopes of the LGWAN DHCP pair (dhcp01/dhcp02), one per site network. Reservations are the",
        "# ledger PCs marked DHCP予約 (counter desktops). Generated by tools/generate_ledger.py from",
        "# ledgers/pc_assets.csv: regenerate rather than edit. Checked by playbooks/validate_inventory.yml.",
        "jichitai_dhcp_scopes:",
    ]
    for s in scopes:
        lines += [
            f"  - name: {s['name']}",
            f"    site: {s['site']}",
            f"    subnet: {s['subnet']}",
            f"    gateway: {s['gateway']}",
            f"    pool: {{start: {s['pool']['start']}, end: {s['pool']['end']}}}",
        ]
        if not s["reservations"]:
            lines.append("    reservations: []")
            continue
        lines.append("    reservations:")
        lines += [
            f'      - {{hostname: {r["hostname"]}, mac: "{r["mac"]}", ip: {r["ip"]}}}'
            for r in s["reservations"]
        ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--inventory",
        type=Path,
        default=DEFAULT_INVENTORY,
        help="inventory directory with group_vars/all/{sites,organisation}.yml",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--encoding",
        choices=["utf-8-sig", "cp932"],
        default="utf-8-sig",
        help="ledger encoding (default UTF-8 with BOM)",
    )
    parser.add_argument("--output", type=Path, help="ledger path (default <inventory>/ledgers/pc_assets.csv)")
    parser.add_argument(
        "--scopes", type=Path, help="DHCP scopes path (default <inventory>/group_vars/pair_dhcp.yml)"
    )
    parser.add_argument("--no-scopes", action="store_true", help="write the ledger only")
    parser.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = parser.parse_args(argv)

    gen = Generator(args.inventory, args.seed)
    rows = gen.rows()
    outputs = {args.output or args.inventory / LEDGER_RELPATH: render_csv(rows, args.encoding)}
    if not args.no_scopes:
        outputs[args.scopes or args.inventory / SCOPES_RELPATH] = render_scopes(gen.scopes(rows))

    stale = []
    for path, data in outputs.items():
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")
    if stale:
        print("out of date (run tools/generate_ledger.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
