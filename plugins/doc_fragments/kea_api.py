# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that reach a Kea appliance pair through its Control Agents (kea_pair)."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  peers:
    description:
      - The peers of the pair, in order.
      - Build it from the inventory (C(jichitai_kea_api_url), C(jichitai_kea_api_user),
        C(jichitai_kea_api_password)).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Peer name used in messages and results (the inventory host name).
        type: str
        required: true
      url:
        description: URL of the peer's Kea Control Agent.
        type: str
        required: true
      user:
        description: Basic-auth user of the Control Agent.
        type: str
      password:
        description: Basic-auth password of the Control Agent.
        type: str
  service:
    description: Kea service behind the Control Agent.
    type: str
    choices: [dhcp4]
    default: dhcp4
  timeout:
    description: Seconds to wait for each API answer.
    type: float
    default: 10.0
  validate_certs:
    description: Verify the Control Agent's TLS certificate (HTTPS URLs).
    type: bool
    default: true
  ca_path:
    description: CA bundle for verifying the Control Agent's certificate.
    type: path
"""
