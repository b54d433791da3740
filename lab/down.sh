#!/usr/bin/env bash
# Stop every lab component in reverse order (lab/components/NN-*.sh down).
source "$(dirname "$0")/lib.sh"
lab_require_root
mapfile -t comps < <(ls -r "$LAB_DIR"/components/[0-9][0-9]-*.sh 2>/dev/null)
for c in "${comps[@]}"; do
  LAB_COMPONENT="$(basename "$c" .sh)" bash "$c" down || lab_log "WARNING: $(basename "$c") down failed"
done
lab_log "lab down"
