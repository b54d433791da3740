# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The initial passwords of the accounts a personnel transfer creates.
Argument spec: module_utils/hr_transfer/specs.py INITIAL_PASSWORDS."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  password_file:
    description: Vault-encrypted file that receives the initial passwords of new accounts.
    type: path
  vault_id:
    description:
      - Vault id as C(label@/path/to/password-file) (or a vault client script) used to encrypt
        I(password_file). Required when accounts are created.
    type: str
  password_length:
    description: Length of generated initial passwords.
    type: int
    default: 16
"""
