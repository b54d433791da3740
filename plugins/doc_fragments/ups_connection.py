# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the UPS modules (ups_common.ups_argument_spec, inventory jichitai_ups_*)."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  backend:
    description: Protocol of the UPS (inventory C(jichitai_ups_backend)).
    type: str
    required: true
    choices: [nut, snmp]
  address:
    description: Address of C(upsd) or of the UPS's SNMP agent (inventory C(jichitai_ups_address)).
    type: str
    required: true
  port:
    description: TCP port of C(upsd) or UDP port of the SNMP agent (3493 for nut, 161 for snmp when omitted).
    type: int
  name:
    description:
      - UPS name known to C(upsd) (inventory C(jichitai_ups_name)). Required with C(backend=nut).
      - With C(backend=snmp) only used to label the result.
    type: str
  user:
    description: C(upsd) user with C(actions = SET) and C(instcmds) rights (inventory C(jichitai_ups_user)).
    type: str
  password:
    description: Password of O(user) (inventory C(jichitai_ups_password), from the vault).
    type: str
  community:
    description: SNMP read community (inventory C(jichitai_ups_community)).
    type: str
    default: public
  write_community:
    description: SNMP write community (inventory C(jichitai_ups_write_community), from the vault).
    type: str
  timeout:
    description: Seconds to wait for each answer.
    type: float
    default: 5.0
"""
