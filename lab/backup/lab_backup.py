"""The lab's backup engine runs, sources and faults (called by lab/components/76-backup.sh).

    lab_backup.py seed-share DIR          a department tree (Japanese folder names, a few hundred files,
                                          a few MB) in DIR when DIR holds no file; the same tree every time
    lab_backup.py seed-server DIR HOST    a server's configuration files in DIR when it holds no file
    lab_backup.py run JOB REPO PWFILE RECORD HOST PATH...   the nightly run as the engine's schedule
                                          would: restic backup through the adapter, the run record kept
    lab_backup.py fail JOB REPO PWFILE RECORD HOST PATH...  the same run while the repository cannot
                                          be opened (its config hidden): a failed run and its record
    lab_backup.py edit DIR N              a day's work: N files of DIR changed (the same N every call
                                          of the same day), one new file
    lab_backup.py make-stale RECORD HOURS the last run record as if it had run HOURS earlier
    lab_backup.py flip-pack REPO SAVE     one byte flipped in the middle of one data pack (the largest,
                                          by name on a tie); prints the pack id; SAVE keeps what undoes it
    lab_backup.py unflip SAVE             the flipped byte restored
Output for the caller on stdout (pack id, record path), progress on stderr. The password is only a file.
"""

from __future__ import annotations

import json
import os
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_DIR / "plugins" / "module_utils"))
from backup import engine  # noqa: E402

DEPARTMENTS = {
    "総務課": ["文書管理", "庁内通知", "議会対応"],
    "財政課": ["予算編成", "決算", "起債"],
    "市民課": ["窓口統計", "証明書発行", "マニュアル"],
    "税務課": ["市民税", "固定資産税", "納税通知"],
    "健康推進課": ["健診", "予防接種", "保健事業"],
    "子育て支援課": ["保育所入所", "児童手当", "会議資料"],
    "都市計画課": ["用途地域", "開発許可", "図面"],
    "教育総務課": ["学校施設", "教育委員会", "予算要求"],
}
YEARS = ["2024年度", "2025年度", "2026年度"]
WORDS = ["起案", "回覧", "決裁", "会議", "報告", "依頼", "照会", "回答", "通知", "議事録", "資料", "一覧"]


def seed_share(target: Path) -> int:
    if target.exists() and any(p.is_file() for p in target.rglob("*")):
        return 0
    rnd = random.Random(20261207)
    count = 0
    for dept, folders in DEPARTMENTS.items():
        for folder in folders:
            for year in YEARS:
                where = target / dept / folder / year
                where.mkdir(parents=True, exist_ok=True)
                for n in range(1, rnd.randint(3, 5) + 1):
                    word = rnd.choice(WORDS)
                    kind = rnd.choice(["txt", "csv", "bin", "txt"])
                    if kind == "txt":
                        body = (f"{dept} {folder} {year} {word} 第{n}号\n" * rnd.randint(5, 60)).encode()
                    elif kind == "csv":
                        body = "番号,件名,担当,日付\n".encode() + "".join(
                            f"{i},{word}{i},{dept},2026-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
                            for i in range(rnd.randint(20, 300))).encode()
                    else:  # an office document stands in as random octets (incompressible, like a .xlsx)
                        body = rnd.randbytes(rnd.randint(2_000, 40_000))
                    suffix = {"txt": "txt", "csv": "csv", "bin": "xlsx"}[kind]
                    (where / f"{word}_{n:02d}.{suffix}").write_bytes(body)
                    count += 1
    print(f"seeded {count} files in {target}", file=sys.stderr)
    return count


SERVER_FILES = {
    "etc/hostname": "{host}\n",
    "etc/hosts": "127.0.0.1 localhost\n198.18.20.10 {host}.lab.jichitai.test {host}\n",
    "etc/postfix/main.cf": "myhostname = {host}.lab.jichitai.test\nrelayhost = [relay.lgwan.test]\n"
                           "inet_interfaces = all\nsmtpd_tls_security_level = may\n",
    "etc/postfix/master.cf": "smtp inet n - y - - smtpd\npickup unix n - y 60 1 pickup\n",
    "etc/cron.d/jichitai": "30 2 * * * root /usr/local/sbin/rotate-logs\n",
    "var/spool/postfix/README": "queue folders of {host}\n",
}


def seed_server(target: Path, host: str) -> int:
    if target.exists() and any(p.is_file() for p in target.rglob("*")):
        return 0
    rnd = random.Random(host)
    for name, text in SERVER_FILES.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(host=host), encoding="utf-8")
    logs = target / "var" / "log"
    logs.mkdir(parents=True, exist_ok=True)
    for n in range(1, 6):
        (logs / f"mail.log.{n}").write_bytes(rnd.randbytes(rnd.randint(10_000, 60_000)))
    print(f"seeded {len(SERVER_FILES) + 5} files in {target}", file=sys.stderr)
    return len(SERVER_FILES) + 5


def edit(target: Path, count: int) -> list[str]:
    """A day's work: COUNT existing files get a line more, and one new file."""
    files = sorted(p for p in target.rglob("*") if p.is_file())
    if not files:
        raise SystemExit(f"{target} holds no file to edit")
    stamp = datetime.now(UTC).isoformat(timespec="microseconds")
    rnd = random.Random(date.today().toordinal())
    changed = rnd.sample(files, min(count, len(files)))
    for path in changed:
        with path.open("ab") as handle:
            handle.write(f"更新 {stamp}\n".encode())
    new = files[0].parent / f"作業メモ_{stamp.replace(':', '').replace('.', '_')}.txt"
    new.write_text(f"本日の作業 {stamp}\n", encoding="utf-8")
    return [str(p) for p in changed] + [str(new)]


def _engine(repo: str, pwfile: str, record: str) -> engine.ResticEngine:
    cache = Path(repo).parent.parent / "cache"
    return engine.ResticEngine(repo, pwfile, cache_dir=str(cache), run_record=record)


def run(repo: str, pwfile: str, record: str, host: str, paths: list[str]) -> dict:
    Path(record).parent.mkdir(parents=True, exist_ok=True)
    result = _engine(repo, pwfile, record).backup(paths, host=host, tags=["lab-schedule"])
    print(json.dumps({k: result[k] for k in ("result", "rc", "snapshot_id", "changed_files", "errors")},
                     ensure_ascii=False), file=sys.stderr)
    return result


def fail(repo: str, pwfile: str, record: str, host: str, paths: list[str]) -> dict:
    config = Path(repo) / "config"
    hidden = Path(repo) / "config.lab-hidden"
    if not config.exists():
        raise SystemExit(f"{repo} is not an initialised repository")
    os.replace(config, hidden)
    try:
        return run(repo, pwfile, record, host, paths)
    finally:
        os.replace(hidden, config)


def make_stale(record: str, hours: float) -> dict:
    last = engine.read_run(record)
    if last is None:
        raise SystemExit(f"{record}: the job never ran (no record); it is stale already")
    for key in ("started", "finished"):
        if last.get(key):
            then = datetime.fromisoformat(last[key]) - timedelta(hours=hours)
            last[key] = then.isoformat(timespec="seconds")
    engine.record_run(record, last)
    return last


def flip_pack(repo: str, save: str) -> str:
    packs = [p for p in (Path(repo) / "data").rglob("*") if p.is_file()]
    if not packs:
        raise SystemExit(f"{repo} holds no data pack (no backup yet?)")
    pack = sorted(packs, key=lambda p: (-p.stat().st_size, p.name))[0]
    offset = pack.stat().st_size // 2
    with pack.open("r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([byte ^ 0x01]))
    Path(save).write_text(json.dumps({"pack": str(pack), "offset": offset}), encoding="utf-8")
    return pack.name


def unflip(save: str) -> str:
    where = json.loads(Path(save).read_text(encoding="utf-8"))
    with open(where["pack"], "r+b") as handle:
        handle.seek(where["offset"])
        byte = handle.read(1)[0]
        handle.seek(where["offset"])
        handle.write(bytes([byte ^ 0x01]))
    os.remove(save)
    return Path(where["pack"]).name


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    command, args = argv[0], argv[1:]
    if command == "seed-share":
        seed_share(Path(args[0]))
    elif command == "seed-server":
        seed_server(Path(args[0]), args[1])
    elif command in ("run", "fail"):
        _job, repo, pwfile, record, host, *paths = args
        result = (run if command == "run" else fail)(repo, pwfile, record, host, paths)
        print(record)
        if command == "run" and result["result"] == "failed":
            return 1
    elif command == "edit":
        for path in edit(Path(args[0]), int(args[1])):
            print(path)
    elif command == "make-stale":
        make_stale(args[0], float(args[1]))
        print(args[0])
    elif command == "flip-pack":
        print(flip_pack(args[0], args[1]))
    elif command == "unflip":
        print(unflip(args[0]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
