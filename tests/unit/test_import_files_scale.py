"""The import-file step of a personnel transfer grows linearly with the staff (exports.build_files).

Synthetic staff in the live organisation (one PC each in the ledger, every tenth reassigned), planned
without a server; the step is timed against an anchor measured in the same run (parsing the list), so
the figures compare across machines. `python -m bench import_files` reports 10,000 and 100,000 staff
through `measure` (tests/unit/bench_import_files.py, which pytest collects only when named)."""

from __future__ import annotations

import gc
import time

from ansible.module_utils.hr_transfer import exports as hx  # noqa: E402
from ansible.module_utils.hr_transfer import limits as hlim  # noqa: E402
from ansible.module_utils.hr_transfer import plan as hp  # noqa: E402
from ansible.module_utils.hr_transfer import transfer_list as hl  # noqa: E402
from ansible.module_utils.hr_transfer.plan import Account, Snapshot  # noqa: E402
from test_hr_plan import BASE, OPTIONS, orgs  # noqa: E402

HEADER = "職員番号,氏名,氏名カナ,異動区分,旧所属,新所属,新職名,発令日"
LEDGER_HEADER = ["資産番号", "種別", "設置場所", "所属", "利用者"]


def synthetic(count):
    """(HR list bytes, ledger bytes, snapshot): COUNT staff spread over the live departments, each
    department with a 課長 and each division's first department with a 部長; every tenth person is
    reassigned to the next department."""
    current, _nxt, _diff = orgs(None)
    depts = sorted(current.departments.values(), key=lambda d: d.code)
    ous = {d.ou.lower(): {"dn": d.ou, "description": d.name} for d in depts}
    ous[f"ou=departments,{BASE}".lower()] = {"dn": f"OU=Departments,{BASE}", "description": ""}
    ous[current.retiree_ou.lower()] = {"dn": current.retiree_ou, "description": "退職者"}
    groups = {}
    for d in depts:
        for role, group in d.groups.items():
            groups[group] = {"dn": f"CN={group},{d.ou}", "members": {}, "description": f"{d.name} {role}"}
    first = {}
    for d in depts:
        first.setdefault(d.division, d.code)
    accounts, rows, everyone, ledger = {}, [HEADER], [HEADER], [",".join(LEDGER_HEADER)]
    for i in range(count):
        dept = depts[i % len(depts)]
        seat = i // len(depts)
        title = "課長" if seat == 0 else "部長" if seat == 1 and first[dept.division] == dept.code else "主事"
        staff_no = f"{300000 + i:06d}"
        name = f"試験　職員{i:06d}"
        dn = f"CN=u{staff_no},{dept.ou}"
        mine = [dept.groups["staff"]] + ([dept.groups["managers"]] if current.is_manager(title) else [])
        for group in mine:
            groups[group]["members"][dn.lower()] = dn
        accounts[staff_no] = Account(
            dn, staff_no, name, "シケン　ショクイン", title, dept.name, 512, set(mine)
        )
        ledger.append(f"NB-{i:06d},ノートPC,本庁,{dept.skysea_group},{name}")
        to = depts[(i + 1) % len(depts)]
        row = f"{staff_no},{name},シケン　ショクイン,配置換,{dept.code},{to.code},主事,2027/04/01"
        everyone.append(row)
        if i % 10 == 5:
            rows.append(row)
    hr_list, anchor = (("\r\n".join(r) + "\r\n").encode("cp932") for r in (rows, everyone))
    ledger_bytes = ("\r\n".join(ledger) + "\r\n").encode("cp932")
    return hr_list, ledger_bytes, Snapshot(accounts=accounts, groups=groups, ous=ous), anchor


def measure(count):
    """{staff, orders, anchor_s, parse_s, plan_s, import_s, files, ratio}: CPU seconds of each step
    (process time: other work on the machine does not count); the
    anchor is the parse of a list with one row per staff member (best of two), RATIO the import-file
    step over it. The cyclic garbage collector is off while timing (as timeit does): its passes cost
    with every live object of the process, whatever the step does."""
    gc.collect()
    gc.disable()
    try:
        return _measure(count)
    finally:
        gc.enable()


def _measure(count):
    hr_list, ledger_bytes, snapshot, anchor = synthetic(count)
    anchor_s = float("inf")
    for _ in range(2):
        started = time.process_time()
        hl.parse(anchor, "anchor.csv")
        anchor_s = min(anchor_s, time.process_time() - started)
    started = time.process_time()
    orders, issues, _enc = hl.parse(hr_list, "hr_transfer_list.csv")
    parse_s = time.process_time() - started
    assert issues == []
    current, nxt, diff = orgs(None)
    started = time.process_time()
    result = hp.plan(orders, issues, current, nxt, snapshot, diff, OPTIONS)
    plan_s = time.process_time() - started
    assert result.issues == [], result.issues[:3]
    started = time.process_time()
    exports = hx.Exports(current, nxt, diff, result.final, result.people, "u")
    ledger = hlim.read_table(ledger_bytes, "pc_assets.csv")
    built = hx.build_files(
        exports, result, OPTIONS["route_groups"], "cp932", ledger=ledger, moving_kinds={"ノートPC"}
    )
    import_s = time.process_time() - started
    return {
        "staff": count,
        "orders": len(orders),
        "anchor_s": anchor_s,
        "parse_s": parse_s,
        "plan_s": plan_s,
        "import_s": import_s,
        "files": {name: n for name, (_data, n) in built.contents.items()},
        "pcs_moved": len(built.pc_changes),
        "ratio": import_s / anchor_s,
    }


def test_the_synthetic_transfer_is_complete():
    figures = measure(600)
    assert figures["orders"] == 60 and figures["files"]["skysea_users.csv"] == 600
    assert figures["files"]["pc_assets.csv"] == 600 and figures["pcs_moved"] == 60
    assert figures["files"]["plan_by_person.csv"] == 60
