"""The registers and diagrams on the city's inventory (REQUIREMENTS OPS-DOCS §6-3(4)③, OPS-IPAM §6-3(4)④,
OPS-LIC §6-3(11)): every register and diagram made from the 1,353 hosts, every host on the logical view
inside its segment (read back from the SVG dot drew), the licence register on the 1,250-PC software
export with an injected over-deployment and two PCs on an old SKYSEA version, the changes between runs,
and bad input named whole."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.registers import build, changes, diagrams, licences, model
from ansible.module_utils.registers.model import RegisterInputError
from estate_helpers import ESTATE, ROOT, inventory_list

from jichitai_ops.reports import registers as renderer

EXPORT = ESTATE / "registers" / "skysea_software.csv"
LICENCES = yaml.safe_load((ESTATE / "group_vars" / "all" / "licences.yml").read_text(encoding="utf-8"))[
    "jichitai_licences"
]
CATALOGUE_FILE = ROOT / "group_vars" / "all" / "software_catalogue.yml"
CATALOGUE = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))["jichitai_software_catalogue"]
SVG = "{http://www.w3.org/2000/svg}"
RACKS = yaml.safe_load((ESTATE / "registers" / "racks.yml").read_text(encoding="utf-8"))["jichitai_racks"]


@pytest.fixture(scope="module")
def city():
    listing = inventory_list(ESTATE)
    hostvars = listing["_meta"]["hostvars"]
    names = sorted(n for n in hostvars if n != "localhost")
    hosts = [model.host_record(n, hostvars[n]) for n in names]
    some = hostvars[names[0]]
    return {
        "hosts": hosts,
        "segments": some["jichitai_segments"],
        "sites": some["jichitai_sites"],
        "routes": some["jichitai_transfer_routes"],
        "departments": some["jichitai_departments"],
    }


def make(city, export_bytes=None, licence_data=LICENCES, accounts=None, hosts=None, racks=None):
    data = EXPORT.read_bytes() if export_bytes is None else export_bytes
    return build.build(
        hosts or city["hosts"],
        city["segments"],
        city["sites"],
        city["routes"],
        city["departments"],
        accounts=accounts,
        licence_data=licence_data,
        catalogue=CATALOGUE,
        export={"name": EXPORT.name, "data": data, "read_at": "2026-12-01 06:00"},
        inventory="moriguchi",
        read_at="2026-12-06 09:00:00",
        racks=racks,
    )


def export_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(EXPORT.read_bytes().decode("cp932"))))


def export_bytes(rows) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("cp932")


def test_every_register_and_diagram_of_the_city(city, tmp_path):
    result = make(city, accounts={"source": "AD", "read_at": "x", "entries": []}, racks=RACKS)
    pcs = [h for h in city["hosts"] if h["role"] == "pc"]
    assert len(pcs) == 1250
    rows = result["summary"]["rows"]
    assert rows["servers"] == len(city["hosts"]) - 1250
    assert rows["devices"] == len(city["hosts"])
    assert rows["ip"] >= len(city["hosts"])  # every host's address and the printers' reservations
    assert rows["licences"] == 16  # table 2 #24-#39
    for reg in result["registers"]:
        assert reg["source"] and reg["read_at"], reg["id"]
    # the synthetic export is clean: nothing over, nothing lagging, nothing missing
    summary = result["summary"]
    assert summary["over"] == [] and summary["lagging"] == {} and summary["missing"] == {}
    record, current = build.compare(result, str(tmp_path))
    files = build.write_run(
        result, record, current, str(tmp_path), "run1", renderer.html, renderer.workbook, formats=("svg",)
    )
    racked = {m["host"] for r in RACKS for m in r["mounts"]}
    assert {r["host"] for r in next(r for r in result["registers"] if r["id"] == "racks")["rows"]} == racked
    for name in ("overview", "logical", "physical", "relations", "racks"):
        assert Path(files[f"{name}.svg"]).stat().st_size > 1000
        ET.parse(files[f"{name}.svg"])  # well-formed
    html = Path(files["html"]).read_text(encoding="utf-8")
    assert "サーバ設定情報一覧表" in html and "ライセンス管理台帳" in html and "diagrams/logical.svg" in html

    from openpyxl import load_workbook

    wb = load_workbook(files["xlsx"])
    assert wb.sheetnames[0] == "表紙" and "前回からの変更" in wb.sheetnames
    for reg in result["registers"]:
        ws = wb[reg["title"]]
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A3)
        assert ws.page_setup.orientation == "landscape"
        assert ws.max_row == 3 + len(reg["rows"])
        assert "取得日時" in ws["A2"].value

    # a second run with nothing changed shows no difference, in the registers or the diagrams
    again = make(city, accounts={"source": "AD", "read_at": "y", "entries": []}, racks=RACKS)
    again["read_at"] = "2026-12-07 09:00:00"
    drawn = again["diagrams"]
    again["diagrams"] = {k: v.replace("2026-12-06 09:00:00", again["read_at"]) for k, v in drawn.items()}
    record2, _current = build.compare(again, str(tmp_path))
    assert record2["first"] is False and record2["total_changes"] == 0 and record2["diagram_changes"] == []


def _box(shape) -> tuple[float, float, float, float]:
    """The bounding box of a cluster's outline (a polygon, or a path when its corners are rounded)."""
    numbers = [float(n) for n in re.findall(r"-?[0-9.]+", shape.get("points") or shape.get("d"))]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def test_every_host_on_the_logical_view_in_its_segment(city, tmp_path):
    text = diagrams.logical(city["hosts"], city["segments"], city["sites"], "moriguchi", "now")
    path = diagrams.render({"logical": text}, str(tmp_path), formats=("svg",))["logical"]["svg"]
    root = ET.parse(path).getroot()
    segments = {}
    where = {}  # host -> (x, y) of the text naming it
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if title is None:
            continue
        if g.get("class") == "cluster" and title.text.startswith("cluster_seg_"):
            outline = g.find(f"{SVG}polygon")
            outline = outline if outline is not None else g.find(f"{SVG}path")
            segments[title.text.removeprefix("cluster_seg_")] = _box(outline)
        elif g.get("class") == "node":
            texts = [t for t in g.iter(f"{SVG}text")]
            if title.text.startswith("pcs|"):
                for t in texts:  # a PC block: every PC's name is one text of the table
                    where.setdefault(t.text, (float(t.get("x")), float(t.get("y"))))
            else:
                where[title.text] = (float(texts[0].get("x")), float(texts[0].get("y")))
    assert set(segments) == {"lgwan", "internet", "mynumber"}
    misplaced = []
    for host in city["hosts"]:
        if host["name"] not in where:
            misplaced.append(f"{host['name']}: not drawn")
            continue
        x, y = where[host["name"]]
        x0, y0, x1, y1 = segments[host["segment"]]
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            misplaced.append(f"{host['name']}: outside {host['segment']}")
    assert misplaced == []
    assert len(city["hosts"]) >= 1353


def test_licences_name_exactly_the_injected_over_deployment_and_old_versions(city):
    rows = export_rows()
    header, body = rows[0], rows[1:]
    col = {name: header.index(name) for name in header}
    have_pdf = {r[col["ホスト名"]] for r in body if r[col["ソフトウェア名"]] == "JUST PDF 5 Pro"}
    pdf_version = next(c["version"] for c in CATALOGUE if c["id"] == "just_pdf")
    without = [h for h in sorted({r[col["ホスト名"]] for r in body}) if h not in have_pdf]
    extra = without[: 100 - len(have_pdf) + 3]  # three over the 100 licences
    injected = [[f"R09-X-{i:04d}", host, "JUST PDF 5 Pro", pdf_version] for i, host in enumerate(extra)]
    old = ["LGNB0007", "LGDT0003"]
    for r in body:
        if r[col["ホスト名"]] in old and r[col["ソフトウェア名"]] == "SKYSEA Client View エージェント":
            r[col["バージョン"]] = "18.3.0.2"
    result = make(city, export_bytes=export_bytes([header, *body, *injected]))
    summary = result["summary"]
    assert summary["over"] == [{"no": "#33", "product": "JUST PDF 5", "over": 3}]
    assert summary["lagging"] == {"#30": ["lgdt0003", "lgnb0007"]}
    assert summary["missing"] == {}
    versions = next(r for r in result["registers"] if r["id"] == "versions")
    assert [(r["host"], r["no"], r["version"], r["state"]) for r in versions["rows"]] == [
        ("lgdt0003", "#30", "18.3.0.2", "旧版"),
        ("lgnb0007", "#30", "18.3.0.2", "旧版"),
    ]
    register = {r["no"]: r for r in next(r for r in result["registers"] if r["id"] == "licences")["rows"]}
    assert register["#33"]["verdict"] == "超過" and register["#33"]["over"] == "3台超過"
    assert register["#30"]["lagging"] == "2台: lgdt0003、lgnb0007"
    assert [n for n, r in register.items() if "超過" in r["verdict"]] == ["#33"]


def test_a_pc_without_the_antivirus_is_named(city):
    rows = export_rows()
    body = [r for r in rows[1:] if not (r[1] == "LGNB0010" and r[2].startswith("Trend Micro"))]
    result = make(city, export_bytes=export_bytes([rows[0], *body]))
    assert result["summary"]["missing"] == {"#29": ["lgnb0010"]}


def test_bad_licence_data_and_export_are_named_whole(city):
    bad = [
        dict(LICENCES[0], number="24"),
        dict(LICENCES[1], count=-1, colour="red"),
        dict(LICENCES[2], number="#25"),
        dict(LICENCES[5], catalogue="nothing"),
        {"number": "#40", "product": "x", "contract": "y"},
    ]
    with pytest.raises(RegisterInputError) as err:
        make(city, licence_data=bad)
    problems = "\n".join(err.value.problems)
    assert "number must be the register number" in problems
    assert "count must be a whole number" in problems and "unknown keys colour" in problems
    assert "number #25 listed twice" in problems
    assert "catalogue 'nothing' is not in the software catalogue" in problems
    assert "#40" in problems and "no match" in problems
    header = ["ホスト名", "ソフトウェア名", "バージョン"]
    broken = export_bytes([header, ["LGNB0001", "", "1"], ["LGNB0002", "x"]])
    with pytest.raises(RegisterInputError) as err:
        make(city, export_bytes=broken)
    assert err.value.problems == [
        "skysea_software.csv line 2: empty ソフトウェア名",
        "skysea_software.csv line 3: 2 fields, the header has 3",
    ]
    with pytest.raises(RegisterInputError, match="missing columns バージョン"):
        licences.read_export(export_bytes([["ホスト名", "ソフトウェア名"]]))


def test_changes_count_rows_and_columns_never_measurements():
    cols = [("host", "ホスト名"), ("os", "OS"), ("measured", "稼働状態")]
    old = model.register(
        "servers",
        "一覧",
        "c",
        "s",
        "t1",
        cols,
        "host",
        [{"host": "a", "os": "1", "measured": "x"}, {"host": "b", "os": "1", "measured": "x"}],
        volatile=("measured",),
    )
    new = model.register(
        "servers",
        "一覧",
        "c",
        "s",
        "t2",
        cols,
        "host",
        [{"host": "a", "os": "2", "measured": "y"}, {"host": "c", "os": "1", "measured": "y"}],
        volatile=("measured",),
    )
    before = changes.snapshot([old], {"d": "drawn at t1"}, "t1")
    after = changes.snapshot([new], {"d": "drawn at t2"}, "t2")
    found = changes.diff(before, [new], after)
    assert found[0]["added"] == ["c"] and found[0]["removed"] == ["b"]
    assert found[0]["changed"] == [{"key": "a", "column": "os", "label": "OS", "before": "1", "after": "2"}]
    assert changes.diagram_changes(before, after) == []
    assert renderer.change_lines(found[0]) == ["追加: c", "削除: b", "変更: a のOS: 1 → 2"]
    json.dumps(found, ensure_ascii=False)


def test_hosts_with_a_bad_segment_or_no_role_are_named():
    hosts = [
        {"name": "a", "segment": "lgwan", "role": "pc"},
        {"name": "b", "segment": "dmz", "role": "x"},
        {"name": "c", "segment": "lgwan", "role": None},
        {"name": "a", "segment": "lgwan", "role": "pc"},
    ]
    with pytest.raises(RegisterInputError) as err:
        build.build(hosts, {"lgwan": {"name": "LGWAN接続系"}})
    expected = ["b: segment 'dmz' is none of lgwan", "c: no jichitai_role", "a: listed twice"]
    assert err.value.problems == expected


def test_filter_reads_only_the_register_variables():
    import sys

    sys.path.insert(0, str(ROOT / "filter_plugins"))
    from register_hosts import register_hosts

    hostvars = {
        "ad01": {
            "ansible_host": "10.10.1.11",
            "jichitai_segment": "lgwan",
            "jichitai_role": "ad_dc",
            "vault_secret": "s3cret",
        }
    }
    (record,) = register_hosts(["ad01"], hostvars)
    assert record["address"] == "10.10.1.11" and record["segment"] == "lgwan" and "s3cret" not in str(record)
    with pytest.raises(Exception, match="not in the inventory: ghost"):
        register_hosts(["ghost"], hostvars)
    assert re.match(r"^[a-z_]+$", "".join(record))


def test_bad_racks_are_named_whole(city):
    rack = {"name": "A", "units": 10, "mounts": [{"host": "ad01", "unit": 1, "height": 2},
                                                {"host": "ad02", "unit": 2, "height": 1},
                                                {"host": "ghost", "unit": 5, "height": 1},
                                                {"host": "fs01", "unit": 10, "height": 2}]}  # fmt: skip
    other = {"name": "B", "units": 10, "mounts": [{"host": "ad01", "unit": 1, "height": 1}]}
    with pytest.raises(RegisterInputError) as err:
        make(city, racks=[rack, other])
    assert err.value.problems == [
        "jichitai_racks[0] (A) mounts[1]: unit 2 is already taken by ad01",
        "jichitai_racks[0] (A) mounts[2]: 'ghost' is not a host of the inventory",
        "jichitai_racks[0] (A) mounts[3]: units 10-11 are outside the rack's 1-10",
        "jichitai_racks[1] (B) mounts[0]: ad01 is already mounted in A",
    ]
