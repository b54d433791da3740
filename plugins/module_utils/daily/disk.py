# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Disk space, one item per host: its fullest volume decides. Linux from Ansible's ``ansible_mounts``
facts, Windows from community.windows.win_disk_facts (``ansible_facts.disks``: partitions with a
drive letter, their volumes' size and size_remaining)."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.daily.common import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    DailyInputError,
    gb,
    item,
    label_of,
    number,
)

PSEUDO_FS = frozenset((
    "tmpfs", "devtmpfs", "overlay", "squashfs", "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue",
    "debugfs", "tracefs", "securityfs", "pstore", "bpf", "autofs", "fusectl", "configfs", "hugetlbfs",
    "binfmt_misc", "ramfs", "nsfs", "rpc_pipefs", "iso9660", "efivarfs", "fuse.lxcfs", "fuse.gvfsd-fuse",
))
CHECK = "ディスク空き容量"


def _linux_volumes(host, mounts):
    if not isinstance(mounts, list):
        raise DailyInputError(f"{host}: ansible_mounts is not a list")
    out = []
    for mount in mounts:
        if not isinstance(mount, Mapping) or "mount" not in mount:
            raise DailyInputError(f"{host}: a mount without its mount point")
        if mount.get("fstype") in PSEUDO_FS or mount.get("fstype", "").startswith("fuse."):
            continue
        total = number(mount.get("size_total"), host, f"size_total of {mount['mount']}")
        free = number(mount.get("size_available"), host, f"size_available of {mount['mount']}")
        if total > 0:
            out.append((str(mount["mount"]), total, free))
    return out


def _df_volumes(host, text):
    """`df -P -T -B1` output: Filesystem Type 1B-blocks Used Available Capacity Mounted-on. A pseudo
    filesystem is left out, except at / (a container's or namespace's root is where its files go)."""
    if not isinstance(text, str):
        raise DailyInputError(f"{host}: the df output is not text")
    out = []
    for number_, line in enumerate(text.splitlines()[1:], start=2):
        fields = line.split(None, 6)
        if not line.strip():
            continue
        if len(fields) < 7:
            raise DailyInputError(f"{host}: df line {number_} has {len(fields)} fields, not 7: {line!r}")
        fstype, where = fields[1], fields[6]
        if where != "/" and (fstype in PSEUDO_FS or fstype.startswith("fuse.")):
            continue
        total = number(fields[2], host, f"size of {where}")
        free = number(fields[4], host, f"available space of {where}")
        if total > 0:
            out.append((where, total, free))
    return out


def _windows_disks(data):
    if isinstance(data, Mapping):
        data = data.get("ansible_facts", data)
        data = data.get("disks", data.get("ansible_disks")) if isinstance(data, Mapping) else data
    return data


def _windows_volumes(host, data):
    disks = _windows_disks(data)
    if not isinstance(disks, list):
        raise DailyInputError(f"{host}: win_disk_facts data has no disks list")
    out = []
    for disk in disks:
        for part in (disk or {}).get("partitions") or []:
            letter = part.get("drive_letter")
            if not letter:
                continue  # recovery and system-reserved partitions: no drive, nothing to fill
            for volume in part.get("volumes") or []:
                where = f"{letter}: ドライブ"
                total = number(volume.get("size"), host, f"size of {letter}:")
                free = number(volume.get("size_remaining"), host, f"size_remaining of {letter}:")
                if total > 0:
                    out.append((where, total, free))
    return out


def disk_items(disks, warn_pct=85, crit_pct=95, hostvars=None):
    if not isinstance(disks, list):
        raise DailyInputError("disks: expected a list of {host, os_family, source, data}")
    out = []
    for index, entry in enumerate(disks):
        host = entry.get("host") if isinstance(entry, Mapping) else None
        if not host:
            raise DailyInputError(f"disks entry #{index + 1}: no host")
        source = entry.get("source")
        if entry.get("error"):
            out.append(item("disk", host, label_of(hostvars, host), CHECK, UNKNOWN,
                            f"ディスクの情報を読み取れませんでした（{entry['error']}）",
                            "サーバへの接続（SSH・WinRM）と稼働状況を確認する"))
            continue
        if source == "ansible_mounts":
            volumes = _linux_volumes(host, entry.get("data"))
        elif source == "df":
            volumes = _df_volumes(host, entry.get("data"))
        elif source == "win_disk_facts":
            volumes = _windows_volumes(host, entry.get("data"))
        else:
            raise DailyInputError(f"{host}: source {source!r} is none of ansible_mounts, df, win_disk_facts")
        out.append(_host_item(host, volumes, float(warn_pct), float(crit_pct), hostvars))
    return out


def _used(volume):
    total, free = volume[1], volume[2]
    return round(100.0 * (total - free) / total, 1)


def _host_item(host, volumes, warn_pct, crit_pct, hostvars):
    label = label_of(hostvars, host)
    if not volumes:
        return item("disk", host, label, CHECK, WARNING, "ディスクの情報がありません",
                    "ディスク情報の収集（ファクト）が動いているか確認する")
    volumes.sort(key=_used, reverse=True)
    fullest = _used(volumes[0])
    state = CRITICAL if fullest >= crit_pct else WARNING if fullest >= warn_pct else OK
    shown = [v for v in volumes if _used(v) >= warn_pct] or volumes[:1]
    detail = "、".join(f"{where} 空き {gb(free)}（{100 - _used((where, total, free)):.0f} %）"
                      for where, total, free in shown)
    if len(volumes) > len(shown):
        detail += f"（ほか {len(volumes) - len(shown)} 領域は十分）"
    action = f"不要なファイル・古いログを整理するか、容量の拡張を検討する（使用率 {warn_pct:.0f} % 未満へ）"
    return item("disk", host, label, CHECK, state, detail, action, value=fullest, threshold=warn_pct)
