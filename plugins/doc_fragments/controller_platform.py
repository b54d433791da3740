# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform attribute of a module that runs on the controller and reaches its servers over the network
(with ansible.builtin.action_common_attributes, which gives check_mode and diff_mode)."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  platform:
    platforms: posix
    details: >-
      Runs where the task runs, usually the controller (delegated to localhost); it reaches the
      servers over the network.
"""
