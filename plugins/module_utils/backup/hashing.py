# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Streaming file hashes for the off-site medium: BLAKE3, xxh128 and SHA-256.

A file is read sequentially once in CHUNK-sized blocks into two alternating buffers; while one block
is hashed (and, when copying, written) on a worker thread the next is read. blake3, xxhash and
hashlib release the GIL on large buffers, so on two cores reading and hashing overlap and the
throughput is that of the slower of the two, not the sum of their times. BLAKE3 also hashes one block
on several cores (max_threads AUTO), as b3sum does. 2 MiB blocks measured best on the lab's
controller (larger ones fall out of the CPU cache between read and hash). No file is read whole into
memory.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor

try:
    import blake3 as _blake3

    HAS_BLAKE3 = True
    BLAKE3_IMPORT_ERROR = None
except ImportError as exc:  # reported by the caller through missing_required_lib
    HAS_BLAKE3 = False
    BLAKE3_IMPORT_ERROR = exc

try:
    import xxhash as _xxhash

    HAS_XXHASH = True
    XXHASH_IMPORT_ERROR = None
except ImportError as exc:  # reported by the caller through missing_required_lib
    HAS_XXHASH = False
    XXHASH_IMPORT_ERROR = exc

CHUNK = 2 * 1024 * 1024
ALGORITHMS = ("blake3", "xxh128", "sha256")
# algorithm → (Python library that provides it, its PyPI pin)
LIBRARIES = {"blake3": ("blake3", "blake3==1.0.11"), "xxh128": ("xxhash", "xxhash==4.1.0"),
             "sha256": ("hashlib", None)}


def available(algorithm: str) -> bool:
    """Whether ALGORITHM can be computed here."""
    return {"blake3": HAS_BLAKE3, "xxh128": HAS_XXHASH, "sha256": True}.get(algorithm, False)


def missing_library(algorithm: str) -> str | None:
    """The pip requirement that ALGORITHM needs and is missing, else None (ValueError if unknown)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown hash algorithm {algorithm!r}; known: {', '.join(ALGORITHMS)}")
    return None if available(algorithm) else LIBRARIES[algorithm][1]


def new(algorithm: str):
    """A fresh hash object of ALGORITHM (RuntimeError when its library is missing)."""
    if missing_library(algorithm):
        error = BLAKE3_IMPORT_ERROR if algorithm == "blake3" else XXHASH_IMPORT_ERROR
        raise RuntimeError(f"the {LIBRARIES[algorithm][0]} Python library is required: {error}")
    if algorithm == "blake3":
        return _blake3.blake3(max_threads=_blake3.blake3.AUTO)
    if algorithm == "xxh128":
        return _xxhash.xxh3_128()
    return hashlib.sha256()


class Streamer:
    """Reads files once, hashing (and optionally copying) each block while the next is read.

    One Streamer holds one worker thread and two CHUNK buffers; use it as a context manager and pass
    it every file of a bag.
    """

    def __init__(self, chunk: int = CHUNK):
        self._buffers = (bytearray(chunk), bytearray(chunk))
        self._pool = ThreadPoolExecutor(max_workers=1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._pool.shutdown(wait=True)

    def digest(self, path, algorithm: str, copy_to=None, uncached: bool = False) -> tuple[str, int]:
        """(hex digest, octets) of the file at PATH; with COPY_TO (a binary file open for writing)
        the same blocks are written there as they are hashed. With UNCACHED the file's pages are
        dropped from the page cache first, so what is read comes from the device (the medium read
        back, not the copy still in memory)."""
        hasher = new(algorithm)
        octets = 0
        pending = None
        turn = 0

        def consume(block):
            hasher.update(block)
            if copy_to is not None:
                copy_to.write(block)

        with open(path, "rb", buffering=0) as source:
            if uncached:
                drop_cache(source.fileno())
            advise(source.fileno(), "POSIX_FADV_SEQUENTIAL")
            try:
                while True:
                    buffer = self._buffers[turn]
                    # the worker may still hold the other buffer, never this one
                    size = source.readinto(buffer)
                    if pending is not None:
                        pending.result()
                        pending = None
                    if not size:
                        break
                    octets += size
                    pending = self._pool.submit(consume, memoryview(buffer)[:size])
                    turn ^= 1
            finally:
                if pending is not None:
                    pending.result()
        return hasher.hexdigest(), octets


def advise(fd: int, advice: str) -> None:
    """posix_fadvise where the platform has it (Linux); a hint, so nothing when it has not."""
    if hasattr(os, "posix_fadvise") and hasattr(os, advice):
        os.posix_fadvise(fd, 0, 0, getattr(os, advice))


def drop_cache(fd: int) -> None:
    """Drop the clean cached pages of an open file (dirty pages must be fsync'd first)."""
    advise(fd, "POSIX_FADV_DONTNEED")


def digest_file(path, algorithm: str) -> str:
    """Hex digest of one file (for small files such as tag files)."""
    hasher = new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            hasher.update(block)
    return hasher.hexdigest()
