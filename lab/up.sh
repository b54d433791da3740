#!/usr/bin/env bash
# Bring up every lab component in order (lab/components/NN-*.sh up). Safe to run twice.
source "$(dirname "$0")/lib.sh"
lab_require_root
start=$(date +%s%N)
for c in "$LAB_DIR"/components/[0-9][0-9]-*.sh; do
  LAB_COMPONENT="$(basename "$c" .sh)" bash "$c" up
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
lab_log "lab up in $((ms / 1000)).$(( (ms % 1000) / 100 )) s"
