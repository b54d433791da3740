# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The software catalogue (group_vars/all/software_catalogue.yml, jichitai_software_catalogue):
every product the estate installs on its PCs, as data, validated whole (REQUIREMENTS OPS-ENDPT
§6-3(3)④⑤, OPS-ONBOARD §6-3(9)).

``normalise`` returns the entries with their defaults filled, or raises one CatalogueError naming
every bad entry by index and id. ``software_for`` says which entries a host should have, in the
order they are installed: the contract antivirus, the SKYSEA agent, the SKYSEA workflow client,
then the applications by id.
"""

from __future__ import annotations

import re

KINDS = ("antivirus", "asset_agent", "workflow_client", "application")
# what every new device gets, in this order (OPS-ONBOARD §6-3(9)); at most one of each per segment
ONBOARD_KINDS = ("antivirus", "asset_agent", "workflow_client")
KIND_JA = {
    "antivirus": "ウイルス対策ソフト",
    "asset_agent": "資産管理エージェント",
    "workflow_client": "ワークフロークライアント",
    "application": "アプリケーション",
}
SEGMENTS = ("lgwan", "internet", "mynumber")  # the α model's, when the caller names none
REQUIRED = ("id", "name", "kind", "version", "installer", "sha256", "product_id", "install_on", "segments")
OPTIONAL = ("arguments", "uninstall_arguments", "return_codes", "licence", "notes")
DEFAULT_RETURN_CODES = (0, 3010)
REBOOT_CODE = 3010
INSTALLER_TYPES = ("msi", "exe")

ID_RE = re.compile(r"^[a-z0-9_]+$")
SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
GUID_RE = re.compile(r"^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$")
# the name of a key under ...\CurrentVersion\Uninstall: no backslash, printable
UNINSTALL_KEY_RE = re.compile(r"^[^\\\x00-\x1f]{1,255}$")
VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._+-]*$")
LICENCE_RE = re.compile(r"^#[1-9][0-9]*$")
# win_package runs msiexec with these itself: an MSI's arguments must not carry them
MSIEXEC_OWN_RE = re.compile(
    r"^/(q[nbrf]?[+-]?|quiet|passive|norestart|forcerestart|promptrestart|l[^\s]*|log)$", re.IGNORECASE
)
INSTALL_ON_KEYS = ("all", "departments", "hosts")


class CatalogueError(ValueError):
    def __init__(self, problems):
        super().__init__("ソフトウェアカタログに誤りがあります:\n  " + "\n  ".join(problems))
        self.problems = list(problems)


def installer_type(installer: str) -> str | None:
    """msi or exe from the installer's file name; None for anything else."""
    suffix = installer.rsplit(".", 1)[-1].lower() if "." in installer else ""
    return suffix if suffix in INSTALLER_TYPES else None


def _segment_keys(segments) -> tuple:
    if segments is None:
        return SEGMENTS
    if isinstance(segments, dict):
        return tuple(segments)
    return tuple(segments)


def _department_keys(departments) -> dict | None:
    """{code or name: code} from the organisation master (jichitai_departments); None: not checked."""
    if departments is None:
        return None
    keys: dict = {}
    for dept in departments:
        code = str(dept.get("code", ""))
        for key in {code, str(dept.get("name", "")), str(dept.get("skysea_group", ""))} - {""}:
            keys[key] = code if keys.get(key, code) == code else None  # a shared name is ambiguous
    return keys


def _strings(value, field, bad) -> list:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        bad.append(f"{field}: 空でない文字列の一覧にしてください（{value!r}）")
        return []
    dupes = sorted({v for v in value if value.count(v) > 1})
    if dupes:
        bad.append(f"{field}: 重複があります: {', '.join(dupes)}")
    return [v.strip() for v in value]


def _text(entry, field, bad, pattern=None, hint="") -> str:
    value = entry.get(field)
    if isinstance(value, bool) or not isinstance(value, str) or not value.strip():
        if isinstance(value, int | float) and not isinstance(value, bool):
            bad.append(f"{field}: 引用符で囲んだ文字列にしてください（{value!r}）")
        else:
            bad.append(f"{field}: 文字列が必要です（{value!r}）")
        return ""
    value = value.strip()
    if pattern is not None and not pattern.match(value):
        bad.append(f"{field}: {hint}（{value!r}）")
    return value


def _installer(entry, bad) -> tuple[str, str | None]:
    path = _text(entry, "installer", bad)
    if not path:
        return "", None
    if "\\" in path or path.startswith("/") or re.match(r"^[A-Za-z]:", path) or ".." in path.split("/"):
        bad.append(f"installer: 配布共有からの相対パスを / 区切りで書いてください（{path!r}）")
    kind = installer_type(path)
    if kind is None:
        bad.append(f"installer: .msi か .exe のインストーラにしてください（{path!r}）")
    return path, kind


def _product_id(entry, kind, bad) -> str:
    value = _text(entry, "product_id", bad)
    if not value:
        return ""
    if kind == "msi" or GUID_RE.match(value):
        if not GUID_RE.match(value):
            bad.append(f"product_id: MSI は ProductCode の GUID（{{8-4-4-4-12}}）です（{value!r}）")
            return value
        return value.upper()
    if not UNINSTALL_KEY_RE.match(value):
        bad.append(f"product_id: アンインストールキー名に \\ や制御文字は使えません（{value!r}）")
    return value


def _arguments(entry, kind, bad, field="arguments") -> str:
    value = entry.get(field, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        bad.append(f"{field}: 文字列にしてください（{value!r}）")
        return ""
    value = value.strip()
    if kind == "msi":
        own = [t for t in value.split() if MSIEXEC_OWN_RE.match(t)]
        if own:
            bad.append(
                f"{field}: MSI には {' '.join(own)} を書かないでください"
                "（win_package が /qn /norestart /log を自ら付けます）"
            )
    return value


def _return_codes(entry, kind, bad) -> list:
    value = entry.get("return_codes", list(DEFAULT_RETURN_CODES))
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        bad.append(f"return_codes: 整数の一覧にしてください（{value!r}）")
        return list(DEFAULT_RETURN_CODES)
    if 0 not in value:
        bad.append(f"return_codes: 0（成功）がありません（{value!r}）")
    if kind == "msi" and REBOOT_CODE not in value:
        bad.append(f"return_codes: MSI は 3010（成功・再起動が必要）を含めてください（{value!r}）")
    if len(set(value)) != len(value):
        bad.append(f"return_codes: 重複があります（{value!r}）")
    return sorted(set(value))


def _install_on(entry, dept_keys, bad) -> dict:
    value = entry.get("install_on")
    if not isinstance(value, dict) or not value:
        bad.append(f"install_on: all・departments・hosts のいずれかを持つ辞書にしてください（{value!r}）")
        return {"all": False, "departments": [], "hosts": []}
    for extra in sorted(set(value) - set(INSTALL_ON_KEYS)):
        bad.append(f"install_on.{extra}: 知らないキーです（all・departments・hosts）")
    every = value.get("all", False)
    if not isinstance(every, bool):
        bad.append(f"install_on.all: true か false にしてください（{every!r}）")
        every = False
    departments = []
    if "departments" in value:
        departments = _strings(value["departments"], "install_on.departments", bad)
    if dept_keys is not None:
        codes = []
        for dept in departments:
            code = dept_keys.get(dept)
            if code is None:
                why = "所属マスタにありません"
                if dept in dept_keys:
                    why = "複数の所属に当たります（所属コードで）"
                bad.append(f"install_on.departments: {dept} は{why}")
            else:
                codes.append(code)
        departments = codes
    hosts = [h.lower() for h in _strings(value["hosts"], "install_on.hosts", bad)] if "hosts" in value else []
    if not (every or departments or hosts) and not any(p.startswith("install_on") for p in bad):
        bad.append("install_on: どの端末にも入りません（all: true・departments・hosts のいずれか）")
    return {"all": every, "departments": sorted(set(departments)), "hosts": sorted(set(hosts))}


def _licence(entry, bad):
    value = entry.get("licence")
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"register"}:
        bad.append(f'licence: {{register: "#<表2の項番>"}} にしてください（{value!r}）')
        return None
    register = value["register"]
    if not isinstance(register, str) or not LICENCE_RE.match(register.strip()):
        bad.append(f'licence.register: 表2の項番を "#29" の形で書いてください（{register!r}）')
        return None
    return {"register": register.strip()}


def _entry(entry, seg_keys, dept_keys) -> tuple[dict, list]:
    bad: list = []
    if not isinstance(entry, dict):
        return {}, [f"辞書にしてください（{type(entry).__name__}）"]
    for field in REQUIRED:
        if field not in entry:
            bad.append(f"{field}: ありません")
    for extra in sorted(set(entry) - set(REQUIRED) - set(OPTIONAL)):
        bad.append(f"{extra}: 知らないキーです")
    present = {k: v for k, v in entry.items() if k in REQUIRED}

    def text(field, pattern=None, hint=""):
        return _text(entry, field, bad, pattern, hint) if field in present else ""

    ident = text("id", ID_RE, "英小文字・数字・_ のみ")
    name = text("name")
    kind = text("kind")
    if kind and kind not in KINDS:
        bad.append(f"kind: {'・'.join(KINDS)} のいずれかにしてください（{kind!r}）")
    version = text("version", VERSION_RE, '版数にしてください（例 "19.2.0.1"）')
    installer, itype = _installer(entry, bad) if "installer" in present else ("", None)
    sha256 = text("sha256", SHA256_RE, "sha256 は 16 進 64 桁です").lower()
    product_id = _product_id(entry, itype, bad) if "product_id" in present else ""
    segments = _strings(entry["segments"], "segments", bad) if "segments" in present else []
    for seg in segments:
        if seg not in seg_keys:
            bad.append(f"segments: {seg} は知らない接続系です（{'・'.join(seg_keys)}）")
    install_on = _install_on(entry, dept_keys, bad) if "install_on" in present else {}
    notes = entry.get("notes", "")
    if not isinstance(notes, str):
        bad.append(f"notes: 文字列にしてください（{notes!r}）")
    normal = {
        "id": ident,
        "name": name,
        "kind": kind,
        "kind_ja": KIND_JA.get(kind, kind),
        "version": version,
        "installer": installer,
        "installer_type": itype,
        "sha256": sha256,
        "product_id": product_id,
        "arguments": _arguments(entry, itype, bad),
        # win_package passes its arguments to the uninstaller too: an uninstall gets only these
        "uninstall_arguments": _arguments(entry, itype, bad, "uninstall_arguments"),
        "return_codes": _return_codes(entry, itype, bad),
        "install_on": install_on,
        "segments": segments,
        "licence": _licence(entry, bad),
        "notes": notes if isinstance(notes, str) else "",
    }
    return normal, bad


def _label(index, entry) -> str:
    ident = entry.get("id") if isinstance(entry, dict) else None
    return f"[{index}] {ident if isinstance(ident, str) and ident else '(id なし)'}"


def normalise(catalogue, segments=None, departments=None) -> list:
    """The entries with defaults filled; raises CatalogueError naming every bad entry by index and id.

    segments: the segment keys (jichitai_segments or a list; default the α model's three);
    departments: the organisation master (jichitai_departments) to check install_on.departments
    against and turn names into codes; None leaves them as written."""
    if not isinstance(catalogue, list):
        raise CatalogueError([f"カタログは項目の一覧にしてください（{type(catalogue).__name__}）"])
    seg_keys = _segment_keys(segments)
    dept_keys = _department_keys(departments)
    problems: list = []
    entries: list = []
    first: dict = {}
    for index, raw in enumerate(catalogue):
        entry, bad = _entry(raw, seg_keys, dept_keys)
        ident = entry.get("id")
        if ident:
            if ident in first:
                bad.append(f"id: [{first[ident]}] と重複しています")
            first.setdefault(ident, index)
        problems.extend(f"{_label(index, raw)}: {b}" for b in bad)
        entries.append(entry)
    if not problems:
        problems.extend(_whole(entries, seg_keys))
    if problems:
        raise CatalogueError(problems)
    return entries


def _whole(entries, seg_keys) -> list:
    """What only the whole catalogue shows: the three products every new device gets are there, and
    a segment has at most one entry of each of them for a device."""
    problems = []
    for kind in ONBOARD_KINDS:
        if not any(e["kind"] == kind for e in entries):
            problems.append(f"{kind}（{KIND_JA[kind]}）の項目がありません（新規端末に必ず入れる製品です）")
    for kind in ONBOARD_KINDS:
        for seg in seg_keys:
            ids = [
                e["id"] for e in entries
                if e["kind"] == kind and seg in e["segments"] and e["install_on"]["all"]
            ]  # fmt: skip
            if len(ids) > 1:
                problems.append(f"{seg}: {kind} が複数あります（{', '.join(ids)}）: 1 台に 1 つです")
    return problems


def _order(entry) -> tuple:
    return (KINDS.index(entry["kind"]), entry["id"])


def applies_to(entry, segment, department, host) -> bool:
    if segment not in entry["segments"]:
        return False
    on = entry["install_on"]
    return bool(on["all"] or (department is not None and str(department) in on["departments"])
                or (host is not None and str(host).lower() in on["hosts"]))  # fmt: skip


def software_for(catalogue, host_vars, kinds=None, segments=None, departments=None) -> list:
    """The normalised entries a host should have, in install order (antivirus, asset agent, workflow
    client, then applications by id). host_vars: the host's variables (jichitai_segment,
    jichitai_department, inventory_hostname); kinds: only these kinds."""
    entries = normalise(catalogue, segments=segments, departments=departments)
    host_vars = host_vars or {}
    host = host_vars.get("inventory_hostname")
    segment = host_vars.get("jichitai_segment")
    if not segment:
        who = host or "(ホスト名なし)"
        raise CatalogueError([f"{who}: jichitai_segment がありません（接続系の分からない端末）"])
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise CatalogueError([f"kinds: 知らない種別です: {', '.join(map(str, unknown))}"])
    chosen = [
        e for e in entries
        if (kinds is None or e["kind"] in kinds)
        and applies_to(e, segment, host_vars.get("jichitai_department"), host)
    ]  # fmt: skip
    return sorted(chosen, key=_order)


def select(catalogue, ids, segments=None, departments=None) -> list:
    """The normalised entries named by ids, in install order; an id the catalogue lacks is an error."""
    entries = normalise(catalogue, segments=segments, departments=departments)
    ids = [ids] if isinstance(ids, str) else list(ids or [])
    by_id = {e["id"]: e for e in entries}
    unknown = [str(i) for i in ids if i not in by_id]
    if unknown:
        raise CatalogueError([f"カタログにない id です: {', '.join(unknown)}"])
    if not ids:
        raise CatalogueError(["id を 1 つ以上指定してください"])
    return sorted({i: by_id[i] for i in ids}.values(), key=_order)


ACTION_JA = {
    "installed": "インストール",
    "already_installed": "導入済み（変更なし）",
    "uninstalled": "アンインストール",
    "not_installed": "未導入（変更なし）",
    "failed": "失敗",
}


def _result_for(results, entry, state):
    if isinstance(results, dict):
        by_state = results.get(state) if isinstance(results.get(state), dict) else results
        return by_state.get(entry["id"])
    for result in results or []:
        if isinstance(result, dict) and (result.get("item") or {}).get("id") == entry["id"]:
            return result
    return None


def outcome(entries, results, state) -> list:
    """One line per entry of what win_package did (RESULTS: the loop's results, or a recorded
    {id: result} / {state: {id: result}}): id, name, version, action, rc, reboot_required, ok, line_ja.
    ok is false where the run failed, where no result was returned, or where the return code is not
    one of the entry's return_codes."""
    if state not in ("present", "absent"):
        raise CatalogueError([f"state は present か absent です（{state!r}）"])
    out = []
    for entry in entries:
        result = _result_for(results, entry, state)
        rc = None if result is None else result.get("rc")
        changed = bool(result and result.get("changed"))
        ok = result is not None and not result.get("failed") and (rc is None or rc in entry["return_codes"])
        if not ok:
            action = "failed"
        elif state == "present":
            action = "installed" if changed else "already_installed"
        else:
            action = "uninstalled" if changed else "not_installed"
        reboot = bool(result and (result.get("reboot_required") or rc == REBOOT_CODE))
        if result is None:
            detail = "結果がありません"
        elif not ok:
            detail = f"終了コード {rc}（想定 {', '.join(map(str, entry['return_codes']))}）"
            if result.get("msg"):
                detail += f": {result['msg']}"
        else:
            detail = ACTION_JA[action] + ("・再起動が必要" if reboot else "")
        out.append({
            "id": entry["id"],
            "name": entry["name"],
            "version": entry["version"],
            "action": action,
            "rc": rc,
            "reboot_required": reboot,
            "ok": ok,
            "line_ja": f"{entry['name']} {entry['version']}: {detail}",
        })  # fmt: skip
    return out
