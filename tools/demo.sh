#!/usr/bin/env bash
# The main job on the local lab, end to end (make demo):
#   1. the city's estate as inventory, validated (IP ledger and α model, §6-3(4)④)
#   2. the lab started, its inventory validated the same way
#   3. drift on the DHCP appliance pair: a reservation removed by hand at the console
#   4. dhcp_sync planned in check mode -> 作業計画書 (Markdown, HTML, Excel)
#   5. the plan approved, applied inside its window -> 作業報告書, planned beside actual
#   6. the pair checked again: a new plan finds nothing to change
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg"
source lab/secrets.sh

step() { printf '\n\033[1m=== %s ===\033[0m\n' "$*"; }
plan_id_of() { sed -n 's/.*work plan: \([0-9T]*-[0-9a-f]*\).*/\1/p' | tail -n 1; }

step "1. The city's estate (inventories/moriguchi): My Number segment, then validation of all hosts and PCs"
ansible-inventory -i inventories/moriguchi --graph segment_mynumber
ansible-playbook -i inventories/moriguchi playbooks/validate_inventory.yml

step "2. The lab: real Samba AD DC, Kea HA pair, NUT, SNMP UPS-MIB agent, sshd namespace hosts"
bash lab/up.sh
ansible-playbook playbooks/validate_inventory.yml

step "3. Drift: someone removes the reservation of prn-cityhall-4f-01 (198.18.100.24) at the appliance"
lab_secret vault_lab_kea_api_password | python lab/kea/labctl.py drop-reservation 198.18.100.24
lab_secret vault_lab_kea_api_password | python lab/kea/labctl.py wait-ha 30

# a non-disruptive operation, so any window works; the plan flags the contract's lead time
start=$(TZ=Asia/Tokyo date +%Y-%m-%dT%H:%M)
end=$(TZ=Asia/Tokyo date -d '+2 hours' +%Y-%m-%dT%H:%M)

step "4. Plan (check mode with diff): 作業計画書 for the DHCP sync, window $start – $end"
out=$(bin/jichitai-ops plan playbooks/dhcp_sync.yml --window-start "$start" --window-end "$end" 2>&1) \
  || { printf '%s\n' "$out"; exit 1; }
printf '%s\n' "$out" | tail -n 15
plan_id=$(printf '%s\n' "$out" | plan_id_of)
[[ -n "$plan_id" ]] || { echo "demo: no plan id in the output above" >&2; exit 1; }
bin/jichitai-ops show "$plan_id" --format md | sed -n '1,60p'

step "5. Approve and apply: 作業報告書"
# the approver names the digest printed on the plan they read (作業計画書の「ダイジェスト」)
digest=$(printf '%s\n' "$out" | sed -n 's/.*ダイジェスト: \(sha256:[0-9a-f]\{64\}\).*/\1/p' | head -n 1)
# and signs with their own key (the lab approver's, from the lab vault; inventories/lab/approvers)
key=$(mktemp -d)/lab-approver.key
lab/approver-key.sh "$key"
bin/jichitai-ops approve "$plan_id" --by lab.approver --key "$key" --digest "$digest"
rm -rf "$(dirname "$key")"
bin/jichitai-ops apply "$plan_id"
bin/jichitai-ops show "$plan_id"
bin/jichitai-ops show "$plan_id" --format paths

step "6. A new plan against the repaired pair finds nothing to change"
lab_secret vault_lab_kea_api_password | python lab/kea/labctl.py wait-ha 30
bin/jichitai-ops plan playbooks/dhcp_sync.yml --window-start "$start" --window-end "$end" 2>&1 | tail -n 6

printf '\nThe lab keeps running; stop it with: make lab-down\n'
