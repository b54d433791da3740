# Input checks of the HR transfer list against the directory and the transfer (§6-3(7) OPS-MOVE)
# that the planner runs together with its own, so that every problem of a list is reported in one
# pass with its line number and nothing changes:
#   identity    a row whose staff number is another person's in the directory (氏名, 氏名カナ)
#   dates       an order whose 発令日 is not this transfer's
#   doubtful    duplicate concurrent posts, a 配置換 that stays in its department, one new hire
#               under two staff numbers, a concurrent post in the person's own department
# Pure functions: they read the parsed orders, the organisation masters and a directory snapshot.
from __future__ import annotations

import datetime

from ansible.module_utils.hr_transfer.transfer_list import (
    CONCURRENT,
    KINDS,
    NEW_ACCOUNT_KINDS,
    REASSIGN,
    RETIRE,
    Issue,
    nfkc,
)


def name_key(text):
    """A name or kana as compared across the list and the directory: the parser's width
    normalisation (NFKC: half-width kana to full-width, full-width letters to ASCII, the
    ideographic space to a space), then without any space. Kanji are compared as written
    (髙 and 高 differ)."""
    return "".join(nfkc(text).split())


def same_name(a, b):
    return name_key(a) == name_key(b)


def at(order, column, message):
    """An issue of ORDER's line in COLUMN (its header name; the position as the list has it)."""
    position = order.columns.get(column, 0) if order.columns else 0
    return Issue(order.line, message, order.staff_no, column=position, column_name=column)


def _kana(order):
    """The kana as the list has it (the liaison searches the list for it)."""
    return (order.raw.get("氏名カナ") or order.kana).strip()


def usable(orders, bad_lines):
    """The rows the parser accepted (a row with a parse error is reported once, by the parser)."""
    return [o for o in orders if o.line not in bad_lines and o.kind in KINDS]


# ---- 1. identity --------------------------------------------------------------------------------
def name_index(accounts):
    """{name_key(displayName): [staff numbers]} of the directory's accounts."""
    index = {}
    for staff_no, account in accounts.items():
        if account.name:
            index.setdefault(name_key(account.name), []).append(staff_no)
    return index


def known_as(name, index, but=""):
    """Where the list's NAME is in the directory under other numbers than BUT: a sentence, or ""."""
    numbers = sorted(n for n in index.get(name_key(name), []) if n != but)
    return f"。リストの氏名は AD では職員番号 {'、'.join(numbers)} です" if numbers else ""


def identity(orders, accounts):
    """Every row whose staff number exists in the directory must name the person the directory
    holds under that number (氏名, and 氏名カナ when both have one); and one staff number must carry
    one 氏名カナ over all its rows. Returns issues."""
    issues = []
    by_name = name_index(accounts)
    for order in orders:
        account = accounts.get(order.staff_no)
        if account is None:
            continue
        if account.name and not same_name(order.name, account.name):
            hint = known_as(order.name, by_name, order.staff_no)
            issues.append(
                at(
                    order,
                    "氏名",
                    f"氏名が AD の職員番号 {order.staff_no} の氏名と違います"
                    f"（リスト: {order.name}、AD: {account.name}）。別の職員の番号ではありませんか{hint}",
                )
            )
        elif order.kana and account.kana and not same_name(order.kana, account.kana):
            issues.append(
                at(
                    order,
                    "氏名カナ",
                    f"氏名カナが AD の職員番号 {order.staff_no} の氏名カナと違います"
                    f"（リスト: {_kana(order)}、AD: {account.kana}）",
                )
            )
    rows = {}
    for order in orders:
        if order.kana:
            rows.setdefault(order.staff_no, []).append(order)
    for staff_no, same in rows.items():
        if len({name_key(o.kana) for o in same}) < 2 or len({name_key(o.name) for o in same}) > 1:
            continue  # one kana; or two names, which the planner reports as two people on one number
        for order in same:
            others = "、".join(
                f"{o.line}行目 {_kana(o)}" for o in same if name_key(o.kana) != name_key(order.kana)
            )
            issues.append(
                at(
                    order,
                    "氏名カナ",
                    f"職員番号 {staff_no} の氏名カナが行によって違います（この行: {_kana(order)}、{others}）",
                )
            )
    return issues


# ---- 2. dates ------------------------------------------------------------------------------------
def declared_dates(effective_date, effective_dates):
    """The transfer's dates (ISO) and an issue per declared value that is not a date."""
    issues = []
    dates = []
    for value in [effective_date, *(effective_dates or [])]:
        text = str(value or "").strip()
        if not text:
            continue
        try:
            dates.append(datetime.date.fromisoformat(text).isoformat())
        except ValueError:
            issues.append(
                Issue(
                    0,
                    f"発令日 '{text}' が日付（YYYY-MM-DD）ではありません"
                    "（personnel_transfer_effective_date / personnel_transfer_effective_dates）",
                    file="transfer.yml",
                )
            )
    return sorted(set(dates)), issues


def _eve(iso):
    return (datetime.date.fromisoformat(iso) - datetime.timedelta(days=1)).isoformat()


def dates(orders, effective_date, effective_dates=()):
    """Every order's 発令日 must be one of the transfer's dates; a retirement may be dated the day
    before (退職 on 3月31日 for the transfer of 4月1日). Returns issues."""
    allowed, issues = declared_dates(effective_date, effective_dates)
    if not allowed:
        return issues
    label = "、".join(allowed)
    retire_ok = set(allowed) | {_eve(d) for d in allowed}
    for order in orders:
        if not order.date:
            continue
        ok = retire_ok if order.kind == RETIRE else set(allowed)
        if order.date in ok:
            continue
        note = "（退職はその前日も可）" if order.kind == RETIRE else ""
        issues.append(
            at(
                order,
                "発令日",
                f"発令日 {order.raw.get('発令日', order.date).strip()}（{order.date}）がこの異動の発令日"
                f"（{label}）ではありません{note}。別の異動の発令ではありませんか",
            )
        )
    return issues


# ---- 3. doubtful rows -----------------------------------------------------------------------------
def _code(org, ref):
    dept = org.resolve(ref)
    return dept.code if dept else nfkc(ref)


def _label(org, ref):
    dept = org.resolve(ref)
    return f"{dept.code} {dept.name}" if dept else nfkc(ref)


def doubtful(orders, current, nxt, accounts, dept_of):
    """Rows the list should not hold twice or that change nothing. Returns (issues, warnings);
    a warning is an Issue too (rendered with its line), for the plan.
    dept_of(account) -> the department code the directory has the account in."""
    issues = []
    warnings = []
    # a concurrent post ordered twice (the same 兼務先 on two rows of one person)
    posts = {}
    for order in orders:
        if order.kind == CONCURRENT and order.new_dept:
            posts.setdefault((order.staff_no, _code(nxt, order.new_dept)), []).append(order)
    for same in posts.values():
        if len(same) < 2:
            continue
        for order in same:
            others = "、".join(f"{o.line}行目" for o in same if o is not order)
            issues.append(
                at(
                    order,
                    "新所属",
                    f"同じ兼務先 {_label(nxt, order.new_dept)} への兼務が重複しています（{others}）",
                )
            )
    # a concurrent post in the department the person stays in (no move of the primary post)
    moving = {o.staff_no for o in orders if o.kind not in (CONCURRENT,) and o.new_dept}
    for order in orders:
        if order.kind != CONCURRENT or order.staff_no in moving or not order.new_dept:
            continue
        account = accounts.get(order.staff_no)
        if account is None:
            continue
        where = dept_of(account)
        if where and where == _code(nxt, order.new_dept):
            issues.append(
                at(order, "新所属", f"兼務先 {_label(nxt, order.new_dept)} が本務の所属（AD）と同じです")
            )
    # a move that stays in its department
    for order in orders:
        if order.kind != REASSIGN or not order.old_dept or not order.new_dept:
            continue
        old = current.resolve(order.old_dept)
        if old is not None and old.code == _code(nxt, order.new_dept):
            warnings.append(
                at(
                    order,
                    "新所属",
                    f"配置換ですが旧所属と新所属が同じです（{old.code} {old.name}）。"
                    "課内の異動なら AD の所属は変わりません。新所属の誤りでないか確認してください",
                )
            )
    # one new hire under two staff numbers: the same 氏名 and 氏名カナ
    hires = {}
    for order in orders:
        if order.kind in NEW_ACCOUNT_KINDS:
            hires.setdefault((name_key(order.name), name_key(order.kana)), {}).setdefault(
                order.staff_no, order
            )
    for same in hires.values():
        if len(same) < 2:
            continue
        rows = sorted(same.values(), key=lambda o: o.line)
        depts = {_code(nxt, o.new_dept) for o in rows}
        for order in rows:
            others = "、".join(f"{o.line}行目 職員番号 {o.staff_no}" for o in rows if o is not order)
            text = f"同じ氏名・氏名カナの{order.kind}が別の職員番号にもあります（{others}）"
            if len(depts) == 1:
                issues.append(at(order, "氏名", f"{text}。同じ人を二重に採用していませんか"))
            else:
                warnings.append(at(order, "氏名", f"{text}。同姓同名の別人か確認してください"))
    # a new hire who has the name and kana of someone already working here under another number
    staff = {}
    for staff_no, account in accounts.items():
        if account.name and account.kana and account.enabled:
            staff.setdefault((name_key(account.name), name_key(account.kana)), []).append(staff_no)
    for order in orders:
        if order.kind not in NEW_ACCOUNT_KINDS or not order.kana:
            continue
        known = sorted(
            n for n in staff.get((name_key(order.name), name_key(order.kana)), []) if n != order.staff_no
        )
        if known:
            warnings.append(
                at(
                    order,
                    "氏名",
                    f"{order.kind}の {order.name} と同じ氏名・氏名カナの職員が AD に在職しています"
                    f"（職員番号 {'、'.join(known)}）。同一人物なら既存の職員番号で発令してください",
                )
            )
    return issues, warnings
