"""Accounts of the transfer stand-in: users, groups and routes in one JSON file (state.json), changed
through the REST admin API (internet_lgwan) or whole CSV batches from an import folder
(lgwan_mynumber). The store checks shape only; whether an account fits the α model is for the
modules that manage it to decide."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import threading
import time
from pathlib import Path

USER_FIELDS = ("id", "name", "department", "department_name", "group", "approver", "side")
GROUP_FIELDS = ("name", "description")
SEGMENTS = ("internet", "lgwan", "mynumber")
APPROVAL = {"要": "required", "不要": "none"}
CSV_FILES = {
    "users.csv": ["ユーザーID", "氏名", "所属コード", "所属名", "グループ", "承認者ユーザーID", "セグメント"],
    "groups.csv": ["グループ", "説明"],
    "routes.csv": ["グループ", "送信元", "送信先", "承認"],
}


class BadInput(ValueError):
    pass


def iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def initial_state(probe: dict) -> dict:
    """Only the probe account, its group and its routes both ways between the system's two sides."""
    a, b = probe["sides"]
    return {
        "users": {
            probe["user"]: {
                "id": probe["user"],
                "name": probe["name"],
                "department": "",
                "department_name": "",
                "group": probe["group"],
                "approver": "",
                "side": a,
            }
        },
        "groups": {probe["group"]: {"name": probe["group"], "description": probe["group_description"]}},
        "routes": {
            f"{probe['group']}|{x}|{y}": {"group": probe["group"], "from": x, "to": y, "approval": "none"}
            for x, y in ((a, b), (b, a))
        },
    }


class Store:
    def __init__(self, path: Path, probe: dict):
        self.path = path
        self.lock = threading.Lock()
        if path.exists():
            self.state = json.loads(path.read_text(encoding="utf-8"))
        else:
            self.state = initial_state(probe)
            self._save()

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)

    def listing(self) -> dict:
        with self.lock:
            return {
                "users": [self.state["users"][k] for k in sorted(self.state["users"])],
                "groups": [self.state["groups"][k] for k in sorted(self.state["groups"])],
                "routes": [self.state["routes"][k] for k in sorted(self.state["routes"])],
            }

    def put(self, kind: str, key: str, record: dict) -> bool:
        with self.lock:
            changed = self.state[kind].get(key) != record
            if changed:
                self.state[kind][key] = record
                self._save()
            return changed

    def delete(self, kind: str, key: str) -> bool:
        with self.lock:
            if key not in self.state[kind]:
                return False
            del self.state[kind][key]
            self._save()
            return True

    def replace(self, state: dict) -> None:
        with self.lock:
            self.state = state
            self._save()


def route_key(group: str, src: str, dst: str) -> str:
    return f"{group}|{src}|{dst}"


def _strings(body: dict, fields: tuple[str, ...], what: str) -> dict:
    if not isinstance(body, dict):
        raise BadInput(f"{what}: a JSON object is expected")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise BadInput(f"{what}: unknown field(s) {', '.join(unknown)}")
    out = {}
    for name in fields:
        value = body.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise BadInput(f"{what}: field {name} must be a string")
        out[name] = value
    return out


def user_record(user_id: str, body) -> dict:
    record = _strings(body, USER_FIELDS, "user")
    if record["id"] and record["id"] != user_id:
        raise BadInput(f"user: id {record['id']!r} in the body differs from {user_id!r} in the path")
    record["id"] = user_id
    return record


def group_record(name: str, body) -> dict:
    record = _strings(body, GROUP_FIELDS, "group")
    if record["name"] and record["name"] != name:
        raise BadInput(f"group: name {record['name']!r} in the body differs from {name!r} in the path")
    record["name"] = name
    return record


def route_record(group: str, src: str, dst: str, body) -> dict:
    if not isinstance(body, dict) or not isinstance(body.get("approval"), str):
        raise BadInput('route: a JSON object with "approval" ("required" or "none") is expected')
    if body["approval"] not in ("required", "none"):
        raise BadInput(f"route: approval must be required or none, not {body['approval']!r}")
    return {"group": group, "from": src, "to": dst, "approval": body["approval"]}


# --- CSV batches (lgwan_mynumber) ----------------------------------------------------------------


def _read_csv(path: Path, errors: list[str]) -> list[tuple[int, list[str]]]:
    name = path.name
    try:
        text = path.read_bytes().decode("cp932")
    except FileNotFoundError:
        errors.append(f"{name}: missing")
        return []
    except UnicodeDecodeError as exc:
        errors.append(f"{name}: not CP932 ({exc.reason} at byte {exc.start})")
        return []
    if "\n" in text.replace("\r\n", ""):
        errors.append(f"{name}: line ends must be CRLF")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or rows[0] != CSV_FILES[name]:
        errors.append(f"{name} line 1: header must be {','.join(CSV_FILES[name])}")
        return []
    return [(n, row) for n, row in enumerate(rows[1:], start=2) if row]


def _verify_sums(batch: Path, errors: list[str]) -> None:
    sums: dict[str, str] = {}
    for n, line in enumerate((batch / "SHA256SUMS").read_text(encoding="utf-8").splitlines(), start=1):
        m = re.fullmatch(r"([0-9a-fA-F]{64}) [ *](.+)", line.strip())
        if not m:
            errors.append(f"SHA256SUMS line {n}: not sha256sum format")
            continue
        sums[m.group(2)] = m.group(1).lower()
    for name in CSV_FILES:
        if name not in sums:
            errors.append(f"SHA256SUMS: no checksum for {name}")
        elif not (batch / name).exists():
            errors.append(f"{name}: missing")
        elif hashlib.sha256((batch / name).read_bytes()).hexdigest() != sums[name]:
            errors.append(f"{name}: checksum does not match SHA256SUMS")


def parse_batch(batch: Path) -> tuple[dict | None, list[str]]:
    """The account set a batch describes, or None and the errors naming file and line."""
    errors: list[str] = []
    _verify_sums(batch, errors)
    if errors:
        return None, errors
    state: dict = {"users": {}, "groups": {}, "routes": {}}
    for n, row in _read_csv(batch / "groups.csv", errors):
        if len(row) != 2 or not row[0]:
            errors.append(f"groups.csv line {n}: expected グループ,説明 with a group name")
        elif row[0] in state["groups"]:
            errors.append(f"groups.csv line {n}: group {row[0]} appears twice")
        else:
            state["groups"][row[0]] = {"name": row[0], "description": row[1]}
    for n, row in _read_csv(batch / "users.csv", errors):
        if len(row) != 7 or not row[0]:
            errors.append(f"users.csv line {n}: expected 7 columns with a user id")
            continue
        record = dict(zip(USER_FIELDS, row, strict=True))
        if record["side"] not in SEGMENTS:
            errors.append(f"users.csv line {n}: セグメント must be one of {', '.join(SEGMENTS)}")
        elif record["id"] in state["users"]:
            errors.append(f"users.csv line {n}: user {record['id']} appears twice")
        else:
            state["users"][record["id"]] = record
    for n, row in _read_csv(batch / "routes.csv", errors):
        if len(row) != 4 or not row[0]:
            errors.append(f"routes.csv line {n}: expected グループ,送信元,送信先,承認 with a group")
            continue
        group, src, dst, approval = row
        if src not in SEGMENTS or dst not in SEGMENTS:
            errors.append(f"routes.csv line {n}: 送信元 and 送信先 must be one of {', '.join(SEGMENTS)}")
        elif approval not in APPROVAL:
            errors.append(f"routes.csv line {n}: 承認 must be 要 or 不要")
        elif route_key(group, src, dst) in state["routes"]:
            errors.append(f"routes.csv line {n}: route {group} {src}→{dst} appears twice")
        else:
            state["routes"][route_key(group, src, dst)] = {
                "group": group,
                "from": src,
                "to": dst,
                "approval": APPROVAL[approval],
            }
    return (None, errors) if errors else (state, [])


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_bytes(buf.getvalue().encode("cp932"))
    os.replace(tmp, path)


def export(store: Store, export_dir: Path) -> None:
    current = store.listing()
    approval = {v: k for k, v in APPROVAL.items()}
    _write_csv(
        export_dir / "users.csv",
        CSV_FILES["users.csv"],
        [[u[f] for f in USER_FIELDS] for u in current["users"]],
    )
    _write_csv(
        export_dir / "groups.csv",
        CSV_FILES["groups.csv"],
        [[g["name"], g["description"]] for g in current["groups"]],
    )
    _write_csv(
        export_dir / "routes.csv",
        CSV_FILES["routes.csv"],
        [
            [r["group"], r["from"], r["to"], approval.get(r["approval"], r["approval"])]
            for r in current["routes"]
        ],
    )


def import_pending(store: Store, import_dir: Path, export_dir: Path) -> list[str]:
    """Apply every complete batch not applied yet (SHA256SUMS present, no result file), oldest name first."""
    done = []
    for batch in sorted(p for p in import_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        result_file = import_dir / f"{batch.name}.result.json"
        if result_file.exists() or not (batch / "SHA256SUMS").exists():
            continue
        state, errors = parse_batch(batch)
        if state is not None:
            store.replace(state)
            export(store, export_dir)
        result = {"batch": batch.name, "ok": state is not None, "errors": errors, "applied_at": iso_now()}
        tmp = import_dir / f".{batch.name}.result.tmp"
        tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, result_file)
        done.append(batch.name)
    return done
