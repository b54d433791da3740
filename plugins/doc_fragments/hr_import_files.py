# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The import files of a personnel transfer and the updated PC ledger: where they go, what they read.
Argument spec: module_utils/hr_transfer/specs.py HR_IMPORT_FILES."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  output_dir:
    description: Folder that receives the import files (created when missing).
    type: path
    required: true
  ledger:
    description: PC asset ledger (CSV, UTF-8 with BOM or CP932); an updated copy is written to I(output_dir).
    type: path
  ledger_moving_kinds:
    description: Values of the ledger column C(種別) whose PCs move with their user.
    type: list
    elements: str
    default: [ノートPC, 2in1PC]
  sites:
    description: The site list (C(jichitai_sites)); names the location of a new department's PCs.
    type: list
    elements: dict
    default: []
  approver_titles:
    description: Titles that can fill an approval step, per step title of C(approval_route).
    type: dict
  encoding:
    description: Encoding of the import files.
    type: str
    default: cp932
    choices: [cp932, utf-8-sig]
"""
