"""The measurement behind `python -m bench import_files`: not a test of the suite (pytest collects it
only when the bench names it), since timings do not belong in pass/fail tests."""

import json
import os

from test_import_files_scale import measure


def test_bench_figures():
    sizes = [int(s) for s in os.environ["JICHITAI_BENCH_SIZES"].split(",")]
    figures = [measure(n) for n in sizes]
    with open(os.environ["JICHITAI_BENCH_OUT"], "w", encoding="utf-8") as handle:
        json.dump(figures, handle)
