# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup as decisions: the monthly off-site medium as a BagIt bag and its verification (bagit),
the contract's three generations and the rotating data check (retention), and the adapter between the
playbooks and the backup engine, restic by default (engine)."""
