# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ICMP echo from one socket for the whole sweep, without a process per host.

An unprivileged ICMP datagram socket when net.ipv4.ping_group_range admits the process's group (the
kernel then owns the identifier and passes only this socket's replies), else a raw socket when
running as root (it sees every ICMP packet: replies are matched on identifier and sequence), else
no socket at all and every echo check is UNKNOWN.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct

ECHO_REQUEST, ECHO_REPLY = 8, 0
NOT_PERMITTED = "ICMP not permitted here"
PING_GROUP_RANGE = "/proc/sys/net/ipv4/ping_group_range"


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def dgram_permitted(path: str = PING_GROUP_RANGE) -> bool:
    try:
        with open(path, encoding="ascii") as handle:
            low, high = (int(x) for x in handle.read().split())
    except (OSError, ValueError):
        return False
    return any(low <= gid <= high for gid in {os.getegid(), *os.getgroups()})


def open_socket() -> tuple[socket.socket | None, str]:
    """(socket, kind) with kind 'dgram' or 'raw', or (None, reason)."""
    if dgram_permitted():
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), "dgram"
        except OSError:
            pass
    if os.geteuid() == 0:
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), "raw"
        except OSError as exc:
            return None, f"{NOT_PERMITTED}: {exc.strerror}"
    return None, NOT_PERMITTED


class Pinger:
    """Echo requests over one non-blocking socket; replies are handed to the waiting probe."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.sock, self.kind = open_socket()
        self.ident = os.getpid() & 0xFFFF
        self.sequence = 0
        self.waiting: dict[tuple[str, int], asyncio.Future] = {}
        if self.sock is not None:
            self.sock.setblocking(False)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            loop.add_reader(self.sock.fileno(), self._receive)

    @property
    def unavailable(self) -> str | None:
        return self.kind if self.sock is None else None

    def close(self) -> None:
        if self.sock is not None:
            self.loop.remove_reader(self.sock.fileno())
            self.sock.close()
            self.sock = None

    def _receive(self) -> None:
        while True:
            try:
                packet, peer = self.sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            source = peer[0]
            if self.kind == "raw":
                packet = packet[(packet[0] & 0x0F) * 4:]
            if len(packet) < 8:
                continue
            kind, ident, sequence = struct.unpack("!BxxxHH", packet[:8])
            if kind != ECHO_REPLY or (self.kind == "raw" and ident != self.ident):
                continue
            future = self.waiting.pop((source, sequence), None)
            if future is not None and not future.done():
                future.set_result(None)

    async def echo(self, address: str, timeout: float) -> None:
        """Returns when the reply arrives; raises TimeoutError or OSError (a name that does not resolve)."""
        infos = await self.loop.getaddrinfo(address, None, family=socket.AF_INET, type=socket.SOCK_RAW)
        address = infos[0][4][0]  # replies come from the address, never the name
        self.sequence = (self.sequence + 1) & 0xFFFF
        sequence = self.sequence
        payload = b"jichitai-sweep"
        header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, self.ident, sequence)
        checksum = _checksum(header + payload)
        packet = struct.pack("!BBHHH", ECHO_REQUEST, 0, checksum, self.ident, sequence) + payload
        future = self.loop.create_future()
        self.waiting[(address, sequence)] = future
        try:
            self.sock.sendto(packet, (address, 0))
            await asyncio.wait_for(future, timeout)
        finally:
            self.waiting.pop((address, sequence), None)
