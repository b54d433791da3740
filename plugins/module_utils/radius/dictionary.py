# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The few RADIUS attributes the probe sends and reads (RFC 2865, RFC 2869), as a pyrad dictionary.

pyrad needs a dictionary to encode and decode attributes; the controller need not have FreeRADIUS's.
"""

from __future__ import annotations

import io

DICTIONARY = """\
ATTRIBUTE\tUser-Name\t1\tstring
ATTRIBUTE\tUser-Password\t2\tstring\tencrypt=1
ATTRIBUTE\tNAS-IP-Address\t4\tipaddr
ATTRIBUTE\tService-Type\t6\tinteger
ATTRIBUTE\tReply-Message\t18\tstring
ATTRIBUTE\tState\t24\toctets
ATTRIBUTE\tClass\t25\toctets
ATTRIBUTE\tSession-Timeout\t27\tinteger
ATTRIBUTE\tMessage-Authenticator\t80\toctets
"""


def build_dictionary():
    """A pyrad Dictionary of the attributes above (pyrad imported here: the caller checks it is there)."""
    from pyrad.dictionary import Dictionary

    return Dictionary(io.StringIO(DICTIONARY))
