# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""WSUS update approval as a decision: the catalogue as the UpdateServices cmdlets return it
(catalogue), the estate's patch policy (policy), the decision per update and ring with the changes
against the current approvals (decide), and the Japanese table of the plan (render)."""
