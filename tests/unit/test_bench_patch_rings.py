"""The projection of bench/patch_rings.py: a ring measured on the lab's hosts scaled to the city's PCs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.patch_rings import projection  # noqa: E402


def test_one_batch_on_the_lab_scales_by_the_batches_of_the_pcs():
    p = projection(ring_s=20.0, startup_s=5.0, hosts=5, measured_forks=5, forks=5, pcs=1250, window_min=690)
    assert p["batch_s"] == 15.0
    assert p["minutes"] == pytest.approx((5 + 250 * 15) / 60)
    assert p["share"] == pytest.approx(p["minutes"] / 690)
    assert p["per_minute"] == pytest.approx(1250 / p["minutes"])


def test_more_forks_fewer_batches_and_a_partial_batch_counts_whole():
    p = projection(ring_s=35.0, startup_s=5.0, hosts=5, measured_forks=2, forks=50, pcs=1251)
    assert p["batch_s"] == 10.0  # 5 hosts with 2 forks: 3 batches
    assert p["minutes"] == pytest.approx((5 + 26 * 10) / 60)


def test_a_ring_faster_than_start_up_costs_start_up_only():
    p = projection(ring_s=1.0, startup_s=2.0, hosts=5, measured_forks=5, forks=5, pcs=10)
    assert (p["batch_s"], p["minutes"]) == (0.0, pytest.approx(2 / 60))
