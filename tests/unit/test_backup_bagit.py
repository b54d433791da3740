"""The off-site medium as a BagIt bag (plugins/module_utils/backup/bagit.py): a bag written from a
folder verifies clean; a flipped byte, a missing file, an extra file and a truncated file are each
found and named; Payload-Oxum catches a missing file without reading the payload; the SHA-256 tag
manifest catches an edited bag-info.txt; a SHA-256 bag passes the bagit library's own validator."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "plugins" / "module_utils"))
from backup import bagit, hashing  # noqa: E402

COURIER = {"External-Identifier": "OFFSITE-2026-12", "Courier-Slip": "セキュリティ便 1234-5678"}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    (root / "総務課" / "2026").mkdir(parents=True)
    (root / "総務課" / "2026" / "議事録.txt").write_text("議事録\n" * 100, encoding="utf-8")
    (root / "big.bin").write_bytes(bytes(range(256)) * 40_000)  # more than one read chunk
    (root / "empty.txt").write_bytes(b"")
    (root / "odd%name\nwith newline.txt").write_bytes(b"x")
    return root


@pytest.fixture(params=["blake3", "xxh128"])
def bag(request, source: Path, tmp_path: Path) -> Path:
    result = bagit.write_bag(source, tmp_path / "medium" / "bag", request.param, tags=COURIER,
                             bagging_date=date(2026, 12, 6))
    assert result["files"] == 4
    return Path(result["bag"])


def problems(result: dict) -> list[tuple[str, str]]:
    return [(p["problem"], p["path"]) for p in result["problems"]]


def test_written_bag_verifies_clean_and_holds_the_tags(bag: Path, source: Path):
    result = bagit.verify(bag)
    assert result["ok"], result["problems"]
    assert result["files"] == 4
    assert result["octets"] == sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    info = dict(bagit.read_bag_info(bag))
    assert info["Bagging-Date"] == "2026-12-06"
    assert info["Payload-Oxum"] == f"{result['octets']}.4"
    assert info["Courier-Slip"] == "セキュリティ便 1234-5678"
    assert (bag / "bagit.txt").read_text() == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    assert (bag / "data" / "総務課" / "2026" / "議事録.txt").read_text(encoding="utf-8") == "議事録\n" * 100
    # the odd name is percent-encoded in the manifest and read back
    assert "data/odd%25name%0Awith newline.txt" in (bag / f"manifest-{result['algorithm']}.txt").read_text()
    assert bagit.oxum_check(bag)["ok"]
    assert bagit.verify(bag, uncached=True)["ok"]  # read back past the page cache


def test_flipped_byte_is_found_and_named(bag: Path):
    target = bag / "data" / "big.bin"
    with open(target, "r+b") as handle:
        handle.seek(5_000_000)
        byte = handle.read(1)
        handle.seek(5_000_000)
        handle.write(bytes([byte[0] ^ 0x01]))
    result = bagit.verify(bag, uncached=True)
    assert not result["ok"]
    assert problems(result) == [("hash", "data/big.bin")]
    assert result["problems"][0]["problem_ja"].startswith("ハッシュ不一致")
    assert bagit.oxum_check(bag)["ok"]  # same size and count: only a full read finds it


def test_missing_file_is_found_by_oxum_and_named_by_verify(bag: Path):
    (bag / "data" / "総務課" / "2026" / "議事録.txt").unlink()
    oxum = bagit.oxum_check(bag)
    assert not oxum["ok"]
    assert oxum["found"].endswith(".3") and oxum["expected"].endswith(".4")
    assert problems(bagit.verify(bag)) == [("missing", "data/総務課/2026/議事録.txt")]


def test_extra_file_is_named(bag: Path):
    (bag / "data" / "総務課" / "紛れ込み.txt").write_text("?")
    assert problems(bagit.verify(bag)) == [("extra", "data/総務課/紛れ込み.txt")]
    assert not bagit.oxum_check(bag)["ok"]


def test_truncated_file_is_a_size_difference(bag: Path):
    target = bag / "data" / "big.bin"
    with open(target, "r+b") as handle:
        handle.truncate(1000)
    result = bagit.verify(bag)
    assert problems(result) == [("size", "data/big.bin")]
    assert "expected 10240000 octets, found 1000" in result["problems"][0]["detail"]


def test_edited_bag_info_is_caught_by_the_tag_manifest(bag: Path):
    info = bag / "bag-info.txt"
    info.write_text(info.read_text(encoding="utf-8").replace("1234-5678", "9999-0000"), encoding="utf-8")
    result = bagit.verify(bag)
    assert problems(result) == [("tag_hash", "bag-info.txt")]


def test_update_tags_keeps_the_bag_valid(bag: Path):
    bagit.update_tags(bag, {"Returned-Date": "2027-01-10", "Courier-Slip": "セキュリティ便 1111-2222"})
    info = bagit.read_bag_info(bag)
    assert dict(info)["Courier-Slip"] == "セキュリティ便 1111-2222"
    assert [k for k, _ in info][:2] == ["Bagging-Date", "Payload-Oxum"]
    assert bagit.verify(bag)["ok"]


def test_refusals(source: Path, tmp_path: Path):
    with pytest.raises(bagit.BagError, match="set by the writer"):
        bagit.write_bag(source, tmp_path / "b1", tags={"Payload-Oxum": "1.1"})
    with pytest.raises(bagit.BagError, match="line break"):
        bagit.write_bag(source, tmp_path / "b2", tags={"Note": "a\nb"})
    (source / "link").symlink_to(source / "big.bin")
    with pytest.raises(bagit.BagError, match="link"):
        bagit.write_bag(source, tmp_path / "b3")
    with pytest.raises(ValueError, match="unknown hash algorithm"):
        hashing.missing_library("md5")


def test_sha256_bag_passes_the_bagit_library(source: Path, tmp_path: Path):
    library = pytest.importorskip("bagit")
    # bagit 1.9.0 decodes %0A and %0D in manifest paths but not %25, against RFC 8493 2.1.3
    (source / "odd%name\nwith newline.txt").rename(source / "odd name\nwith newline.txt")
    result = bagit.write_bag(source, tmp_path / "sha", "sha256", tags=COURIER)
    theirs = library.Bag(result["bag"])
    theirs.validate()  # raises BagValidationError on any problem
    assert theirs.info["Payload-Oxum"] == result["oxum"]
    assert theirs.info["Courier-Slip"] == COURIER["Courier-Slip"]


def test_bagit_library_does_not_know_blake3_until_a_sha256_manifest_is_added(source: Path, tmp_path: Path):
    library = pytest.importorskip("bagit")
    (source / "odd%name\nwith newline.txt").unlink()  # see the test above
    bag = Path(bagit.write_bag(source, tmp_path / "b3", "blake3")["bag"])
    with pytest.raises(library.BagValidationError, match="No manifest files found"):
        library.Bag(str(bag)).validate()
    assert bagit.add_manifest(bag, "sha256")["files"] == 3
    library.Bag(str(bag)).validate()
    assert bagit.verify(bag, "sha256")["ok"] and bagit.verify(bag)["algorithm"] == "blake3"
    (bag / "data" / "empty.txt").write_bytes(b"!")
    assert problems(bagit.verify(bag, "sha256")) == [("size", "data/empty.txt")]


def test_digests_match_the_reference_tools(tmp_path: Path):
    # BLAKE3 and XXH3-128 of "abc" as b3sum and xxh128sum print them
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    with hashing.Streamer(chunk=2) as streamer:
        assert streamer.digest(path, "blake3") == (
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85", 3)
        assert streamer.digest(path, "xxh128") == ("06b05ab6733a618578af5f94892f3950", 3)
        assert streamer.digest(path, "sha256")[0] == hashing.digest_file(path, "sha256")
