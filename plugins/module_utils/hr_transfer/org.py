# Organisation master (所属マスタ) for personnel transfers (§6-3(7) OPS-MOVE): normalisation,
# validation, look-up by code or name, and the diff between the current master and a
# reorganisation's master (機構改革: departments created, renamed, merged, abolished).
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

RIGHTS = ("read", "modify", "full")
ROUTES = ("internet_lgwan", "lgwan_mynumber")
ROLES = ("staff", "managers")
CODE = re.compile(r"^[0-9]{6}$")
# A group name is an AD sAMAccountName and the CN of its DN: no DN or account syntax, at most 64.
GROUP_BAD = re.compile(r'["/\\\[\]:;|=,+*?<>#]')
GROUP_MAX = 64
# A share folder is a relative path of Windows folder names: no drive, no . or .., no reserved
# characters, each name at most 255 and the whole path at most 200 (the share's own path and the
# files inside need the rest of Windows' 260).
FOLDER_BAD = re.compile(r'[\\:*?"<>|]')
FOLDER_NAME_MAX, FOLDER_PATH_MAX = 255, 200
# Control characters (NUL, TAB, line breaks ...) and bidirectional controls never belong in a master.
UNSAFE = re.compile("[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _group_problem(name):
    if not name or len(name) > GROUP_MAX:
        return f"グループ名は 1～{GROUP_MAX} 文字です（{len(name)} 文字）"
    if GROUP_BAD.search(name) or UNSAFE.search(name) or name != name.strip() or name.endswith("."):
        return (
            f"グループ名 {name!r} に DN やアカウント名に使えない文字があります"
            "（\" / \\ [ ] : ; | = , + * ? < > #、制御文字）"
        )
    return None


def _folder_problem(path):
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return f"共有フォルダ {path[:80]!r} は共有の中の相対パスにしてください（先頭の / やドライブ名は不可）"
    if len(path) > FOLDER_PATH_MAX:
        return f"共有フォルダのパスが長すぎます（{len(path)} 文字、上限 {FOLDER_PATH_MAX}）"
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return f"共有フォルダ {path!r} に空の名前、. または .. があります"
        if FOLDER_BAD.search(part) or UNSAFE.search(part) or part != part.strip() or part.endswith("."):
            return (
                f"共有フォルダ {path!r} にフォルダ名に使えない文字があります"
                '（\\ : * ? " < > |、制御文字、末尾の空白や .）'
            )
        if len(part) > FOLDER_NAME_MAX:
            return f"共有フォルダ名が長すぎます（{len(part)} 文字、上限 {FOLDER_NAME_MAX}）"
    return None


@dataclass
class Department:
    code: str
    name: str
    division: str
    site: str
    ou: str
    groups: dict
    share_folder: str
    folder_rights: dict
    skysea_group: str
    approval_route: list
    transfer_routes: list
    predecessors: list = field(default_factory=list)

    def summary(self):
        return f"{self.code} {self.name}"


@dataclass
class Organisation:
    departments: dict
    manager_titles: list
    retiree_ou: str
    label: str = ""

    def resolve(self, ref):
        """A department by code (width-normalised) or by exact name; None when unknown."""
        key = unicodedata.normalize("NFKC", ref or "").strip()
        if key in self.departments:
            return self.departments[key]
        for dept in self.departments.values():
            if dept.name == key or unicodedata.normalize("NFKC", dept.name) == key:
                return dept
        return None

    def group_names(self):
        return {g for d in self.departments.values() for g in d.groups.values()}

    def is_manager(self, title):
        return (title or "").strip() in self.manager_titles


@dataclass
class OrgDiff:
    created: list
    renamed: list  # (old Department, new Department)
    abolished: list  # (Department, successor Department or None)
    regrouped: list  # (old, new) with changed folder rights, transfer routes, SKYSEA group or approval route

    @property
    def empty(self):
        return not (self.created or self.renamed or self.abolished or self.regrouped)


class OrgError(ValueError):
    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


def load(data, base_dn, departments_ou, label=""):
    """Build an Organisation from the master's variables (jichitai_departments, ...)."""
    problems = []
    departments = {}
    titles = list(data.get("jichitai_org_manager_titles") or [])
    if not titles:
        problems.append(f"{label}: jichitai_org_manager_titles がありません")
    retiree_ou = _absolute(data.get("jichitai_org_retiree_ou") or "", base_dn)
    if not data.get("jichitai_org_retiree_ou"):
        problems.append(f"{label}: jichitai_org_retiree_ou がありません")
    entries = data.get("jichitai_departments")
    if not isinstance(entries, list) or not entries:
        problems.append(f"{label}: jichitai_departments がありません")
        entries = []
    seen_groups, seen_folders = {}, {}
    for pos, raw in enumerate(entries, 1):
        dept, errs = _department(raw, pos, base_dn, departments_ou, label)
        problems.extend(errs)
        if dept is None:
            continue
        if dept.code in departments:
            problems.append(f"{label}: 所属コード {dept.code} が重複しています")
            continue
        for group in dept.groups.values():
            if group in seen_groups:
                problems.append(
                    f"{label}: グループ {group} が {seen_groups[group]} と {dept.code} で重複しています"
                )
            seen_groups[group] = dept.code
        if dept.share_folder in seen_folders:
            problems.append(
                f"{label}: 共有フォルダ {dept.share_folder} が {seen_folders[dept.share_folder]} と"
                f" {dept.code} で重複しています"
            )
        seen_folders[dept.share_folder] = dept.code
        departments[dept.code] = dept
    if problems:
        raise OrgError(problems)
    return Organisation(departments=departments, manager_titles=titles, retiree_ou=retiree_ou, label=label)


def _absolute(dn, base_dn):
    if not dn:
        return ""
    return dn if dn.lower().endswith(base_dn.lower()) else f"{dn},{base_dn}"


def _department(raw, pos, base_dn, departments_ou, label):
    where = f"{label}: jichitai_departments の {pos} 件目"
    if not isinstance(raw, dict):
        return None, [f"{where} が辞書ではありません"]
    problems = []
    code = unicodedata.normalize("NFKC", str(raw.get("code", ""))).strip()
    if not CODE.match(code):
        problems.append(f"{where}: 所属コード '{raw.get('code')}' は 6 桁の数字ではありません")
    where = f"{label}: 所属 {code}"
    for key in ("name", "division", "share_folder", "skysea_group"):
        if not str(raw.get(key) or "").strip():
            problems.append(f"{where}: {key} がありません")
    groups = raw.get("groups") or {}
    if not isinstance(groups, dict) or any(not groups.get(r) for r in ROLES):
        problems.append(f"{where}: groups に staff と managers が必要です")
        groups = {}
    rights = raw.get("folder_rights") or {}
    if not isinstance(rights, dict) or not rights:
        problems.append(f"{where}: folder_rights がありません")
        rights = {}
    for role, right in rights.items():
        if role not in ROLES or right not in RIGHTS:
            problems.append(f"{where}: folder_rights の {role}: {right} は使えません（{'/'.join(RIGHTS)}）")
    routes = list(raw.get("transfer_routes") or [])
    for route in routes:
        if route not in ROUTES:
            problems.append(f"{where}: transfer_routes の {route} は使えません（{'/'.join(ROUTES)}）")
    approval = list(raw.get("approval_route") or [])
    if not approval:
        problems.append(f"{where}: approval_route がありません")
    for role in ROLES:
        bad = _group_problem(str(groups.get(role) or "")) if groups else None
        if bad:
            problems.append(f"{where}: groups の {role}: {bad}")
    bad = _folder_problem(str(raw.get("share_folder") or "").strip()) if raw.get("share_folder") else None
    if bad:
        problems.append(f"{where}: {bad}")
    for key in ("name", "division", "skysea_group"):
        if UNSAFE.search(str(raw.get(key) or "")):
            problems.append(f"{where}: {key} に制御文字または双方向制御文字があります")
    if problems:
        return None, problems
    ou = raw.get("ou") or f"OU={code},{departments_ou}"
    dept = Department(
        code=code,
        name=str(raw["name"]).strip(),
        division=str(raw["division"]).strip(),
        site=str(raw.get("site") or ""),
        ou=_absolute(ou, base_dn),
        groups={r: str(groups[r]) for r in ROLES},
        share_folder=str(raw["share_folder"]).strip().rstrip("/"),
        folder_rights={r: rights[r] for r in ROLES if r in rights},
        skysea_group=str(raw["skysea_group"]).strip(),
        approval_route=[str(t) for t in approval],
        transfer_routes=routes,
        predecessors=[unicodedata.normalize("NFKC", str(p)).strip() for p in raw.get("predecessors") or []],
    )
    return dept, []


def diff(current, nxt):
    """What a reorganisation changes. Raises OrgError when predecessors do not make sense."""
    problems = []
    created = [d for c, d in nxt.departments.items() if c not in current.departments]
    successor_of = {}
    for dept in nxt.departments.values():
        for pred in dept.predecessors:
            if pred not in current.departments:
                problems.append(
                    f"{nxt.label}: 所属 {dept.code} の predecessors {pred} は現行の所属マスタにありません"
                )
            elif pred in successor_of:
                problems.append(
                    f"{nxt.label}: 所属 {pred} の後継が {successor_of[pred].code} と {dept.code}"
                    " の 2 つあります"
                )
            else:
                successor_of[pred] = dept
    if problems:
        raise OrgError(problems)
    abolished = [(d, successor_of.get(c)) for c, d in current.departments.items() if c not in nxt.departments]
    renamed, regrouped = [], []
    for code, old in current.departments.items():
        new = nxt.departments.get(code)
        if new is None:
            continue
        if old.groups != new.groups or old.ou.lower() != new.ou.lower():
            # OUs and groups are keyed by the stable code: a new name must never mean a new DN or SID.
            problems.append(
                f"{nxt.label}: 所属 {code} の OU またはグループ名が変わっています"
                "（コードが同じ所属では変更できません）"
            )
            continue
        if (old.name, old.division, old.share_folder) != (new.name, new.division, new.share_folder):
            renamed.append((old, new))
        if (old.folder_rights, old.transfer_routes, old.skysea_group, old.approval_route) != (
            new.folder_rights,
            new.transfer_routes,
            new.skysea_group,
            new.approval_route,
        ):
            regrouped.append((old, new))
    if problems:
        raise OrgError(problems)
    return OrgDiff(created=created, renamed=renamed, abolished=abolished, regrouped=regrouped)
