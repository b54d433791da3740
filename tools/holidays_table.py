"""Writes jichitai_ops/holidays_jp.py: Japan's public holidays (Japanese names) for a range of years, from the
`holidays` library the project pins, so that the service calendar reads them without importing the library.

    .venv/bin/python tools/holidays_table.py [--first 2024] [--last 2040]

Run it after the `holidays` pin changes (tests/unit/test_holidays_table.py compares the table with the
library and fails until it is written again) or when the range needs to grow.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import holidays

TABLE = Path(__file__).resolve().parents[1] / "jichitai_ops" / "holidays_jp.py"

HEADER = '''"""Japan's public holidays {first}-{last} with their Japanese names, written by
tools/holidays_table.py from holidays {version} (the pinned library). The service calendar reads this
table and imports the library only for a year outside it: the import and its translations cost about
0.2 s in every guarded run. tests/unit/test_holidays_table.py fails when the table and the pinned
library disagree."""

FIRST_YEAR = {first}
LAST_YEAR = {last}
LIBRARY_VERSION = "{version}"

HOLIDAYS = {{
'''


def table(first: int, last: int) -> dict:
    """(year, month, day) -> Japanese name, as the service calendar asks the library for them."""
    found = {}
    for year in range(first, last + 1):
        for day, name in sorted(holidays.country_holidays("JP", years=year, language="ja").items()):
            found[(day.year, day.month, day.day)] = name
    return found


def write(first: int, last: int, path: Path = TABLE) -> None:
    lines = [HEADER.format(first=first, last=last, version=holidays.__version__)]
    for key, name in table(first, last).items():
        lines.append(f"    {key!r}: {json.dumps(name, ensure_ascii=False)},\n")
    lines.append("}\n")
    path.write_text("".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=2024)
    parser.add_argument("--last", type=int, default=2040)
    args = parser.parse_args(argv)
    write(args.first, args.last)
    print(f"{TABLE}: {args.first}-{args.last} from holidays {holidays.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
