# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""notAfter of a DER certificate, read without a crypto library: the TLS check must report the expiry
of certificates it was not asked to verify, where Python's ssl module gives only the DER bytes."""

from __future__ import annotations

import datetime


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at pos."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    return tag, pos, pos + length


def _time(tag: int, raw: bytes) -> datetime.datetime:
    text = raw.decode("ascii").rstrip("Z")
    if tag == 0x17:  # UTCTime YYMMDDHHMMSS, RFC 5280 years 1950-2049
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    return datetime.datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=datetime.UTC)


def not_after(der: bytes) -> datetime.datetime:
    """Certificate → tbsCertificate → [version] serial signature issuer validity(notBefore, notAfter)."""
    cert = _tlv(der, 0)[1]
    pos, tbs_end = _tlv(der, cert)[1:]
    fields = []
    while pos < tbs_end and len(fields) < 5:
        tag, start, end = _tlv(der, pos)
        fields.append((tag, start, end))
        pos = end
    if fields[0][0] == 0xA0:  # explicit version
        fields = fields[1:]
    validity = fields[3][1]
    before_end = _tlv(der, validity)[2]
    tag, start, end = _tlv(der, before_end)
    return _time(tag, der[start:end])
