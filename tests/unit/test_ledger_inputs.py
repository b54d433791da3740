"""The one MAC reader (netaddr.EUI) and the one encoding detector of the city's CSV exports."""

from __future__ import annotations

import pytest
from ansible.module_utils.ledger.encoding import UndecodableText, decode_text
from ansible.module_utils.ledger.mac import mac_address


@pytest.mark.parametrize(
    "given,expected",
    [
        ("4C-52-62-A8-B6-B8", "4c:52:62:a8:b6:b8"),
        ("4c52.62a8.b6b8", "4c:52:62:a8:b6:b8"),
        ("4C5262A8B6B8", "4c:52:62:a8:b6:b8"),
        (" 4c:52:62:a8:b6:b8 ", "4c:52:62:a8:b6:b8"),
        ("4C-52-62-00-00", None),
        ("4c:52:62:a8:b6:b8:00:01", None),  # EUI-64, not a NIC's MAC
        ("not a mac", None),
        (None, None),
    ],
)
def test_mac_notations(given, expected):
    assert mac_address(given) == expected


def test_unicast_refuses_multicast_broadcast_and_zero():
    assert mac_address("01-00-5E-00-00-01") == "01:00:5e:00:00:01"
    for value in ("01-00-5E-00-00-01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"):
        assert mac_address(value, unicast=True) is None
    assert mac_address("02:4a:00:10:01:01", unicast=True) == "02:4a:00:10:01:01"


def test_encodings_of_the_exports():
    text = "職員番号,氏名\n100001,髙橋 﨑子\n"
    assert decode_text(b"\xef\xbb\xbf" + text.encode()) == (text, "utf-8-sig")
    assert decode_text(text.encode()) == (text, "utf-8")
    assert decode_text(text.encode("cp932")) == (text, "cp932")
    assert decode_text(text.encode("cp932"), "cp932") == (text, "cp932")


def test_undecodable_bytes_name_their_line():
    data = b"a\nb\n" + b"\x81\x20\xff\n"
    with pytest.raises(UndecodableText, match="line 3") as err:
        decode_text(data)
    assert err.value.line == 3
    with pytest.raises(UndecodableText, match="line 1: bytes not valid utf-8"):
        decode_text("髙".encode("cp932"), "utf-8")
