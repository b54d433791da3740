# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The registers and configuration documents (台帳・構成資料) derived from the estate: REQUIREMENTS
OPS-DOCS §6-3(4)③, OPS-IPAM §6-3(4)④, OPS-ACCT §6-3(2)③, OPS-LIC §6-3(11)/§5-3(13)."""
