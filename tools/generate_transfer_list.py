#!/usr/bin/env python3
"""Generate an April-style personnel-transfer list (人事異動, §6-3(7) OPS-MOVE), deterministically.

The staff are the named users of the PC asset ledger (inventories/moriguchi/ledgers/pc_assets.csv),
so the PCs that move with their users can be found again. Outputs:

  <out>/hr_transfer_list.csv   400 orders as HR exports them: CP932, CRLF, some full-width codes,
                               half-width kana and era dates, names with 髙 and 﨑
  <out>/organisation.yml       the organisation master from the effective date: 水道総務課 and
                               水道工務課 merged into 水道課, こども家庭センター created,
                               デジタル戦略課 renamed DX推進課
  --roster PATH                the staff before the transfers (for seeding the lab directory)

    tools/generate_transfer_list.py                    # rewrite inventories/moriguchi/transfers/2027-04
    tools/generate_transfer_list.py --check            # exit 1 when the committed files are stale
    tools/generate_transfer_list.py --roster work/personnel/roster.csv --out work/personnel
"""

from __future__ import annotations

import argparse
import copy
import csv
import io
import random
import sys
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
INVENTORY = ROOT / "inventories" / "moriguchi"
LEDGER = INVENTORY / "ledgers" / "pc_assets.csv"
ORGANISATION = INVENTORY / "group_vars" / "all" / "organisation.yml"
DEFAULT_OUT = INVENTORY / "transfers" / "2027-04"
SEED = 20270401
ORDERS = 400
DATE = "2027-04-01"
RETIRE_DATE = "2027-03-31"
HEADER = ["職員番号", "氏名", "氏名カナ", "異動区分", "旧所属", "新所属", "新職名", "発令日"]
ROSTER_HEADER = ["職員番号", "氏名", "氏名カナ", "所属", "職名", "状態", "兼務"]
KIND_ORDER = ["退職", "採用", "転入", "昇任", "配置換", "兼務", "休職", "復職"]

MERGED = ("190100", "190200")
MERGED_INTO = {
    "code": "190300",
    "name": "水道課",
    "division": "水道局",
    "site": "suidokyoku",
    "groups": {"staff": "g-190300-staff", "managers": "g-190300-managers"},
    "share_folder": "水道局/水道課",
    "folder_rights": {"staff": "modify", "managers": "full"},
    "skysea_group": "水道局/水道課",
    "approval_route": ["課長", "部長"],
    "transfer_routes": ["internet_lgwan"],
    "predecessors": list(MERGED),
}
CREATED = {
    "code": "160400",
    "name": "こども家庭センター",
    "division": "こども部",
    "site": "cityhall",
    "groups": {"staff": "g-160400-staff", "managers": "g-160400-managers"},
    "share_folder": "こども部/こども家庭センター",
    "folder_rights": {"staff": "modify", "managers": "full"},
    "skysea_group": "こども部/こども家庭センター",
    "approval_route": ["課長", "部長"],
    "transfer_routes": ["internet_lgwan", "lgwan_mynumber"],
}
CREATED_FROM = {"160100": 6, "150500": 3, "150600": 3}
RENAMED = {
    "130300": {
        "name": "DX推進課",
        "share_folder": "企画財政部/DX推進課",
        "skysea_group": "企画財政部/DX推進課",
    }
}

SURNAME_KANA = dict(
    pair.split(":")
    for pair in [
        "佐藤:サトウ",
        "鈴木:スズキ",
        "高橋:タカハシ",
        "田中:タナカ",
        "伊藤:イトウ",
        "渡辺:ワタナベ",
        "山本:ヤマモト",
        "中村:ナカムラ",
        "小林:コバヤシ",
        "加藤:カトウ",
        "吉田:ヨシダ",
        "山田:ヤマダ",
        "佐々木:ササキ",
        "山口:ヤマグチ",
        "松本:マツモト",
        "井上:イノウエ",
        "木村:キムラ",
        "林:ハヤシ",
        "清水:シミズ",
        "山崎:ヤマザキ",
        "森:モリ",
        "池田:イケダ",
        "橋本:ハシモト",
        "阿部:アベ",
        "石川:イシカワ",
        "山下:ヤマシタ",
        "中島:ナカジマ",
        "石井:イシイ",
        "小川:オガワ",
        "前田:マエダ",
        "岡田:オカダ",
        "長谷川:ハセガワ",
        "藤田:フジタ",
        "後藤:ゴトウ",
        "近藤:コンドウ",
        "村上:ムラカミ",
        "遠藤:エンドウ",
        "青木:アオキ",
        "坂本:サカモト",
        "福田:フクダ",
        "西村:ニシムラ",
        "藤井:フジイ",
        "岡本:オカモト",
        "藤原:フジワラ",
        "中野:ナカノ",
        "原田:ハラダ",
        "松田:マツダ",
        "竹内:タケウチ",
        "小野:オノ",
        "田村:タムラ",
        "中山:ナカヤマ",
        "和田:ワダ",
        "石田:イシダ",
        "森田:モリタ",
        "上田:ウエダ",
        "柴田:シバタ",
        "酒井:サカイ",
        "横山:ヨコヤマ",
        "宮本:ミヤモト",
        "内田:ウチダ",
        "安藤:アンドウ",
        "谷口:タニグチ",
        "大野:オオノ",
        "今井:イマイ",
        "藤本:フジモト",
        "武田:タケダ",
        "村田:ムラタ",
        "上野:ウエノ",
        "杉山:スギヤマ",
        "平野:ヒラノ",
        "大塚:オオツカ",
        "松井:マツイ",
        "野口:ノグチ",
        "松尾:マツオ",
        "木下:キノシタ",
        "大西:オオニシ",
        "浜田:ハマダ",
        "市川:イチカワ",
        "水野:ミズノ",
        "島田:シマダ",
        "古川:フルカワ",
        "西田:ニシダ",
        "北村:キタムラ",
        "安田:ヤスダ",
        "中田:ナカタ",
        "川口:カワグチ",
        "辻:ツジ",
        "吉村:ヨシムラ",
        "岩田:イワタ",
        "中西:ナカニシ",
        "服部:ハットリ",
        "樋口:ヒグチ",
        "川上:カワカミ",
        "松岡:マツオカ",
        "森本:モリモト",
        "矢野:ヤノ",
        "大橋:オオハシ",
        "吉岡:ヨシオカ",
        "馬場:ババ",
        "野田:ノダ",
        "田辺:タナベ",
        "黒田:クロダ",
        "尾崎:オザキ",
        "永田:ナガタ",
        "松村:マツムラ",
        "西山:ニシヤマ",
        "大谷:オオタニ",
        "平井:ヒライ",
        "片山:カタヤマ",
        "岡崎:オカザキ",
        "宮田:ミヤタ",
        "小西:コニシ",
        "南:ミナミ",
        "奥村:オクムラ",
        "髙橋:タカハシ",
        "山﨑:ヤマザキ",
        "宮﨑:ミヤザキ",
        "髙木:タカギ",
        "岡﨑:オカザキ",
        "德永:トクナガ",
        "濵田:ハマダ",
    ]
)
GIVEN_KANA = dict(
    pair.split(":")
    for pair in [
        "健一:ケンイチ",
        "誠:マコト",
        "大輔:ダイスケ",
        "翔太:ショウタ",
        "拓也:タクヤ",
        "直樹:ナオキ",
        "和也:カズヤ",
        "達也:タツヤ",
        "哲也:テツヤ",
        "浩二:コウジ",
        "隆:タカシ",
        "勇気:ユウキ",
        "悠斗:ユウト",
        "亮:リョウ",
        "修:オサム",
        "剛:ツヨシ",
        "博之:ヒロユキ",
        "雅人:マサト",
        "康弘:ヤスヒロ",
        "慎也:シンヤ",
        "美咲:ミサキ",
        "さくら:サクラ",
        "陽子:ヨウコ",
        "恵子:ケイコ",
        "由美:ユミ",
        "真由美:マユミ",
        "裕子:ユウコ",
        "明美:アケミ",
        "愛:アイ",
        "彩:アヤ",
        "舞:マイ",
        "香織:カオリ",
        "智子:トモコ",
        "直美:ナオミ",
        "久美子:クミコ",
        "千尋:チヒロ",
        "結衣:ユイ",
        "奈々:ナナ",
        "麻衣:マイ",
        "優子:ユウコ",
        "理恵:リエ",
        "早苗:サナエ",
        "純子:ジュンコ",
        "幸子:サチコ",
        "陽菜:ヒナ",
        "葵:アオイ",
        "美穂:ミホ",
        "涼子:リョウコ",
        "蓮:レン",
        "湊:ミナト",
        "陽翔:ハルト",
        "芽依:メイ",
        "紬:ツムギ",
        "凛:リン",
        "大翔:ヒロト",
        "結菜:ユイナ",
    ]
)
HIRE_SURNAMES = ["髙橋", "山﨑", "宮﨑", "髙木", "德永", "濵田", "岡﨑"] + [
    s for s in SURNAME_KANA if s not in ("髙橋", "山﨑", "宮﨑", "髙木", "德永", "濵田", "岡﨑")
]
HIRE_GIVEN = ["蓮", "湊", "陽翔", "芽依", "紬", "凛", "大翔", "結菜", "さくら", "葵", "悠斗", "陽菜"]
LADDER = ["主事", "主任", "主査", "係長", "課長補佐", "課長"]
HEAD_TITLE = {"室": "室長", "局": "局長"}
ORIGINS = ["大阪府", "大阪府", "門真市", "寝屋川市", "大阪市", "枚方市", "国土交通省", "総務省"]


def kana_of(name):
    surname, _, given = name.partition("\u3000")
    if surname in SURNAME_KANA and given in GIVEN_KANA:
        return f"{SURNAME_KANA[surname]}\u3000{GIVEN_KANA[given]}"
    return ""


def head_title(dept):
    return HEAD_TITLE.get(dept["name"][-1], "課長")


class Generator:
    def __init__(self, seed=SEED, ledger=LEDGER, organisation=ORGANISATION):
        self.rng = random.Random(seed)
        self.org = yaml.safe_load(organisation.read_text(encoding="utf-8"))
        self.depts = {d["code"]: d for d in self.org["jichitai_departments"]}
        by_group = {d["skysea_group"]: d["code"] for d in self.org["jichitai_departments"]}
        with ledger.open(encoding="utf-8-sig", newline="") as fh:
            pcs = [r for r in csv.DictReader(fh) if r["種別"] in ("ノートPC", "2in1PC")]
        self.staff = []
        for n, row in enumerate(pcs, 1):
            self.staff.append(
                {
                    "no": f"{200000 + n:06d}",
                    "name": row["利用者"],
                    "kana": kana_of(row["利用者"]),
                    "dept": by_group[row["所属"]],
                    "title": "",
                    "leave": False,
                    "concurrent": [],
                }
            )
        self._titles()
        self.orders = []
        self.taken = set()

    # ---- the staff before April ----------------------------------------------------------------
    def _titles(self):
        first_of_division = {}
        for code, dept in self.depts.items():
            first_of_division.setdefault(dept["division"], code)
        for code, dept in self.depts.items():
            members = [s for s in self.staff if s["dept"] == code]
            titles = []
            if first_of_division[dept["division"]] == code and dept["division"] not in ("議会",):
                titles.append("部長")
            titles += [head_title(dept), "課長補佐", "係長", "係長", "主査", "主査", "主査"]
            titles += ["主任"] * 4
            titles = (titles + ["主事"] * len(members))[: len(members)]
            for person, title in zip(members, titles, strict=True):
                person["title"] = title
        plain = [s for s in self.staff if s["title"] in ("主事", "主任")]
        for person in self.rng.sample(plain, 16):
            person["leave"] = True
        crisis = [s for s in self.staff if s["title"] in ("係長", "主査") and s["dept"] != "120300"]
        for person in self.rng.sample(crisis, 6):
            person["concurrent"].append("120300")

    def roster_rows(self):
        return [
            [
                s["no"],
                s["name"],
                s["kana"],
                s["dept"],
                s["title"],
                "休職" if s["leave"] else "在職",
                ";".join(s["concurrent"]),
            ]
            for s in self.staff
        ]

    # ---- orders ----------------------------------------------------------------------------
    def order(self, person, kind, new_dept="", title=None, old_dept=None, date=DATE):
        self.orders.append(
            {
                "no": person["no"],
                "name": person["name"],
                "kana": person["kana"],
                "kind": kind,
                "old": person["dept"] if old_dept is None else old_dept,
                "new": new_dept,
                "title": person["title"] if title is None else title,
                "date": date,
            }
        )
        self.taken.add(person["no"])

    def free(self, pred=lambda s: True):
        return [s for s in self.staff if s["no"] not in self.taken and pred(s)]

    def pick(self, count, pred=lambda s: True):
        pool = self.free(pred)
        return self.rng.sample(pool, min(count, len(pool)))

    def generate(self):
        live = [c for c in self.depts if c not in MERGED]
        # reorganisation: everyone in the merged departments goes to the new one
        for person in self.free(lambda s: s["dept"] in MERGED):
            title = "参事" if person["dept"] == MERGED[1] and person["title"] == "課長" else person["title"]
            self.order(person, "配置換", MERGED_INTO["code"], title)
        # the new department: staff from three departments, a head promoted into it
        head = self.free(lambda s: s["dept"] == "160100" and s["title"] == "課長補佐")[0]
        self.order(head, "配置換", CREATED["code"], "課長")
        self.order(head, "昇任", CREATED["code"], "課長")
        for code, count in CREATED_FROM.items():
            for person in self.pick(
                count,
                lambda s, c=code: (
                    s["dept"] == c and s["title"] in ("主事", "主任", "主査") and not s["leave"]
                ),
            ):
                self.order(person, "配置換", CREATED["code"])
        # retirements on 31 March, among them a director and a section head
        for person in self.pick(2, lambda s: s["title"] in ("部長", "課長") and s["dept"] not in MERGED):
            self.order(person, "退職", "", date=RETIRE_DATE)
        for person in self.pick(28, lambda s: not s["leave"]):
            self.order(person, "退職", "", date=RETIRE_DATE)
        # returns from leave (two of them to another department), new leave
        for i, person in enumerate(self.pick(10, lambda s: s["leave"])):
            target = self.rng.choice([c for c in live if c != person["dept"]]) if i < 2 else ""
            self.order(person, "復職", target)
        for person in self.pick(12, lambda s: not s["leave"] and s["title"] in ("主事", "主任", "主査")):
            self.order(person, "休職", "")
        # promotions: heads for the departments whose head retired or moved, then up the ladder
        for code in sorted(
            {o["old"] for o in self.orders if o["kind"] == "退職" and o["title"] in ("課長", "部長")}
        ):
            deputies = self.free(lambda s, c=code: s["dept"] == c and s["title"] == "課長補佐")
            if deputies:
                self.order(deputies[0], "昇任", code, head_title(self.depts[code]))
        ladder = self.pick(60, lambda s: not s["leave"] and s["title"] in LADDER[:4])
        promoted = sum(1 for o in self.orders if o["kind"] == "昇任")
        for i, person in enumerate(ladder[: 60 - promoted]):
            title = LADDER[LADDER.index(person["title"]) + 1]
            if i < 5:  # promoted into another department: one row
                self.order(person, "昇任", self.rng.choice([c for c in live if c != person["dept"]]), title)
            elif i < 10:  # promoted and moved: two rows that agree
                target = self.rng.choice([c for c in live if c != person["dept"]])
                self.order(person, "配置換", target, title)
                self.order(person, "昇任", target, title)
            else:
                self.order(person, "昇任", person["dept"], title)
        # concurrent posts (crisis management, DX), two of them beside a move
        for i, person in enumerate(
            self.pick(20, lambda s: not s["leave"] and s["title"] in ("係長", "主査", "主任"))
        ):
            post = "120300" if i % 2 else "130300"
            if person["dept"] == post:
                post = "120100"
            if i < 2:
                target = self.rng.choice([c for c in live if c not in (person["dept"], post)])
                self.order(person, "配置換", target)
            self.order(person, "兼務", post, f"{person['title']}（兼務）")
        # new hires and staff transferring in (two into the new department)
        hire_names = self._new_names(48)
        for n, name in enumerate(hire_names[:40], 1):
            code = CREATED["code"] if n <= 3 else self.rng.choice(live)
            title = "保健師" if code == "150600" else "技師" if code[:2] in ("17", "18", "19") else "主事"
            self.order(
                {"no": f"27{n:04d}", "name": name, "kana": kana_of(name), "dept": ""}, "採用", code, title
            )
        for n, name in enumerate(hire_names[40:], 1):
            code = self.rng.choice(live)
            self.order(
                {"no": f"279{n:03d}", "name": name, "kana": kana_of(name), "dept": ""},
                "転入",
                code,
                self.rng.choice(["主査", "係長", "主任"]),
                old_dept=self.rng.choice(ORIGINS),
            )
        # plain reassignments up to the list's size
        targets = live + [MERGED_INTO["code"], CREATED["code"]]
        for person in self.pick(ORDERS - len(self.orders), lambda s: not s["leave"] and s["title"] != "部長"):
            self.order(person, "配置換", self.rng.choice([c for c in targets if c != person["dept"]]))
        if len(self.orders) != ORDERS:
            raise SystemExit(f"generated {len(self.orders)} orders, not {ORDERS}")
        self.orders.sort(key=lambda o: (KIND_ORDER.index(o["kind"]), o["new"] or o["old"], o["no"]))
        return self.orders

    def _new_names(self, count):
        existing = {s["name"] for s in self.staff}
        names = []
        for i, surname in enumerate(HIRE_SURNAMES):
            for j in range(len(HIRE_GIVEN)):
                name = f"{surname}\u3000{HIRE_GIVEN[(i + j) % len(HIRE_GIVEN)]}"
                if name not in existing:
                    names.append(name)
                    break
        if len(names) < count:
            raise SystemExit(f"only {len(names)} new names available, {count} needed")
        return names[:count]

    # ---- how HR writes it -------------------------------------------------------------------
    def rows(self):
        out = []
        for i, o in enumerate(self.orders):
            no, new, old = o["no"], o["new"], o["old"]
            if i % 23 == 5:  # some rows typed with full-width digits
                no = unicodedata.normalize("NFKC", no).translate(
                    str.maketrans("0123456789", "０１２３４５６７８９")
                )
                new = new.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
            kana = o["kana"]
            if i % 31 == 7:  # half-width kana from an older system
                kana = _halfwidth(kana)
            date = o["date"].replace("-", "/")
            if i % 17 == 3 and o["date"] == DATE:
                date = "令和9年4月1日"
            title = "" if o["kind"] == "退職" else o["title"]
            out.append([no, o["name"], kana, o["kind"], old, new, title, date])
        return out

    def organisation(self):
        org = copy.deepcopy(self.org)
        depts = []
        for dept in org["jichitai_departments"]:
            if dept["code"] in MERGED:
                continue
            dept.update(RENAMED.get(dept["code"], {}))
            depts.append(dept)
            if dept["code"] == "160300":
                depts.append(copy.deepcopy(CREATED))
        depts.append(copy.deepcopy(MERGED_INTO))
        org["jichitai_departments"] = sorted(depts, key=lambda d: d["code"])
        return org


_HALF = str.maketrans(
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォャュョッー\u3000",
    "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｬｭｮｯｰ ",
)
_VOICED = {
    "ガ": "ｶﾞ",
    "ギ": "ｷﾞ",
    "グ": "ｸﾞ",
    "ゲ": "ｹﾞ",
    "ゴ": "ｺﾞ",
    "ザ": "ｻﾞ",
    "ジ": "ｼﾞ",
    "ズ": "ｽﾞ",
    "ゼ": "ｾﾞ",
    "ゾ": "ｿﾞ",
    "ダ": "ﾀﾞ",
    "ヂ": "ﾁﾞ",
    "ヅ": "ﾂﾞ",
    "デ": "ﾃﾞ",
    "ド": "ﾄﾞ",
    "バ": "ﾊﾞ",
    "ビ": "ﾋﾞ",
    "ブ": "ﾌﾞ",
    "ベ": "ﾍﾞ",
    "ボ": "ﾎﾞ",
    "パ": "ﾊﾟ",
    "ピ": "ﾋﾟ",
    "プ": "ﾌﾟ",
    "ペ": "ﾍﾟ",
    "ポ": "ﾎﾟ",
}


def _halfwidth(kana):
    return "".join(_VOICED.get(ch, ch) for ch in kana).translate(_HALF)


def render_csv(header, rows, encoding):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


class IndentedDumper(yaml.SafeDumper):
    """Block sequences indented under their key, as yamllint wants them."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def render_organisation(org):
    head = (
        "---\n"
        "# Organisation master from 2027-04-01 (機構改革), the input of\n"
        "# playbooks/personnel_transfer.yml beside the live group_vars/all/organisation.yml.\n"
        "# 水道総務課 (190100) and 水道工務課 (190200) merge into 水道課 (190300, predecessors);\n"
        "# こども家庭センター (160400) is created; デジタル戦略課 (130300) is renamed DX推進課.\n"
        "# Generated by tools/generate_transfer_list.py.\n"
    )
    body = yaml.dump(
        org, Dumper=IndentedDumper, allow_unicode=True, sort_keys=False, default_flow_style=None, width=200
    )
    return (head + body).encode("utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder for the list and the organisation"
    )
    parser.add_argument(
        "--roster", type=Path, help="also write the staff before the transfers (UTF-8 with BOM)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--check", action="store_true", help="compare with the files on disk, write nothing")
    args = parser.parse_args(argv)
    gen = Generator(args.seed)
    gen.generate()
    outputs = {
        args.out / "hr_transfer_list.csv": render_csv(HEADER, gen.rows(), "cp932"),
        args.out / "organisation.yml": render_organisation(gen.organisation()),
    }
    if args.roster:
        outputs[args.roster] = render_csv(ROSTER_HEADER, gen.roster_rows(), "utf-8-sig")
    if args.check:
        stale = [str(p) for p, data in outputs.items() if not p.exists() or p.read_bytes() != data]
        if stale:
            print("out of date (run tools/generate_transfer_list.py): " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0
    for path, data in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
