#!/usr/bin/env bash
# Write the lab approver's private key (lab vault: vault_lab_approver_key) to FILE, mode 0600, for
# `jichitai-ops approve --by lab.approver --key FILE`. Lab only; delete the file after use.
# Usage: lab/approver-key.sh FILE
set -euo pipefail
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO_DIR/lab/secrets.sh"
out="${1:?usage: lab/approver-key.sh FILE}"
(umask 077; lab_secret vault_lab_approver_key >"$out")
