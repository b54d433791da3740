#!/usr/bin/env python3
"""clamd's VirusEvent on the lab's endpoint stand-in: records the detection and raises it to Alertmanager
as the antivirus management server's notification would (POST /api/v2/alerts), where the incident
records start (SEC-INC). clamd passes the file and the signature in CLAM_VIRUSEVENT_FILENAME and
CLAM_VIRUSEVENT_VIRUSNAME.

  virus_event.py --host ENDPOINT --records DIR [--alertmanager URL]
Each detection is DIR/<time>-<pid>.json: detected_at, host, file, virus, alert (sent or the error).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import urllib.request
from pathlib import Path

JST = dt.timezone(dt.timedelta(hours=9))
ACTION_JA = (
    "該当端末をネットワークから切り離し、情報セキュリティインシデントの手順に従って報告・調査してください。"
)


def alert(record: dict) -> dict:
    return {
        "labels": {
            "alertname": "JichitaiAvInfection",
            "severity": "critical",
            "jichitai_host": record["host"],
            "jichitai_check": "av_infection",
            "jichitai_clause": "SEC-INC",
            "jichitai_virus": record["virus"],
        },
        "annotations": {
            "summary_ja": f"{record['host']} でウイルスを検知しました（{record['virus']}）。",
            "action_ja": ACTION_JA,
            "file": record["file"],
        },
        "startsAt": record["detected_at"],
    }


def write(path: Path, record: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--records", required=True, type=Path)
    parser.add_argument("--alertmanager", default="")
    args = parser.parse_args()
    now = dt.datetime.now(JST)
    record = {
        "detected_at": now.isoformat(timespec="milliseconds"),
        "host": args.host,
        "file": os.environ.get("CLAM_VIRUSEVENT_FILENAME", ""),
        "virus": os.environ.get("CLAM_VIRUSEVENT_VIRUSNAME", ""),
        "engine": "clamd",
        "alert": None,
    }
    args.records.mkdir(parents=True, exist_ok=True)
    path = args.records / f"{now.strftime('%Y%m%dT%H%M%S.%f')}-{os.getpid()}.json"
    write(path, record)
    if args.alertmanager:
        request = urllib.request.Request(
            args.alertmanager.rstrip("/") + "/api/v2/alerts",
            data=json.dumps([alert(record)]).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                record["alert"] = {"sent": True, "status": response.status}
        except OSError as exc:
            record["alert"] = {"sent": False, "error": str(exc)}
            print(f"virus_event: alert not sent: {exc}", file=sys.stderr)
        write(path, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
