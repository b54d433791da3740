# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file share of the department folders: the SMB session and the SIDs that keep full control.
Argument spec: module_utils/hr_transfer/specs.py DEPARTMENT_SHARE."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  smb_server:
    description: File server name or address.
    type: str
    required: true
  smb_share:
    description: Share that holds the department folders.
    type: str
    required: true
  smb_username:
    description: Account with the right to change ACLs (C(DOMAIN\\user) or C(user@domain)).
    type: str
    required: true
  smb_password:
    description: Its password.
    type: str
    required: true
  smb_encrypt:
    description: Require SMB3 encryption on the session.
    type: bool
    default: true
  admin_sids:
    description:
      - SIDs that keep full control on every department folder, in their string form (C(S-1-5-32-544)).
      - >-
        Every argument is checked before the directory or the share is contacted; a malformed SID, an
        empty list or a share name with C(\\ / : * ? " < > |) is refused. In the organisation masters,
        each C(share_folder) must be a path relative to the share (no leading C(/), no C(.) or C(..),
        no C(\\ : * ? " < > |) or control characters, at most 200 characters) and each group name
        at most 64 characters without DN or account syntax (C(, = + ; " \\ < > # / [ ] : | * ?)).
    type: list
    elements: str
    default: [S-1-5-32-544, S-1-5-18]
"""
