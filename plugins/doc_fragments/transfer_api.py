# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that reach an inter-segment transfer system's REST API."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  system:
    description:
      - The transfer system, as C(jichitai_transfer_routes) names it (C(internet_lgwan) the sanitising
        transfer, C(lgwan_mynumber) the LGWAN⇔My Number transfer). Used in messages and results.
    type: str
    required: true
  api_url:
    description:
      - Base URL of the system's REST API (inventory C(jichitai_transfer_api_url)), for example
        C(https://10.10.1.61:8008). File processing follows OPSWAT MetaDefender Core (C(POST /file),
        C(GET /file/{data_id}), C(GET /file/converted/{data_id})).
    type: str
  api_key:
    description:
      - The API key, sent in the C(apikey) header (inventory C(jichitai_transfer_api_key), from the vault).
    type: str
  timeout:
    description: Seconds to wait for each API answer; more than 0, at most 300.
    type: float
    default: 15.0
  validate_certs:
    description: Verify the API's TLS certificate.
    type: bool
    default: true
  ca_path:
    description: CA bundle for verifying the API's certificate (inventory C(jichitai_transfer_api_ca_file)).
    type: path
"""
