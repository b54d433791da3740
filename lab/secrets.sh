# shellcheck shell=bash
# Lab secrets for the component scripts: `pw="$(lab_secret vault_lab_ad_admin_password)"`, or several
# at once, one per line: `lab_secret VAR1 VAR2 | consumer` (one decryption).
# Values live only in the lab vault (inventories/lab/group_vars/all/vault.yml, lab-only password
# file inventories/lab/.vault-pass.lab). Never pass a value on a command line or echo it to a log.
: "${REPO_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
LAB_VAULT_FILE="${LAB_VAULT_FILE:-$REPO_DIR/inventories/lab/group_vars/all/vault.yml}"
LAB_VAULT_PASS_FILE="${LAB_VAULT_PASS_FILE:-$REPO_DIR/inventories/lab/.vault-pass.lab}"

# lab_secret VAR... : print the value of each VAR from the lab vault, one per line, decrypting the
# vault once (exit 1 when one is missing)
lab_secret() {
  local plain
  plain="$("$REPO_DIR/.venv/bin/ansible-vault" view --vault-password-file "$LAB_VAULT_PASS_FILE" \
    "$LAB_VAULT_FILE")" || { printf 'lab_secret: cannot decrypt %s\n' "$LAB_VAULT_FILE" >&2; return 1; }
  printf '%s' "$plain" | "$REPO_DIR/.venv/bin/python" -c '
import sys, yaml
data = yaml.safe_load(sys.stdin) or {}
missing = [name for name in sys.argv[1:] if name not in data]
if missing:
    sys.exit("lab_secret: not in the lab vault: " + " ".join(missing))
for name in sys.argv[1:]:
    print(data[name])
' "$@"
}
