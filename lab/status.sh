#!/usr/bin/env bash
# Show each lab component's state (lab/components/NN-*.sh status); exit 1 if any is down.
source "$(dirname "$0")/lib.sh"
rc=0
for c in "$LAB_DIR"/components/[0-9][0-9]-*.sh; do
  LAB_COMPONENT="$(basename "$c" .sh)" bash "$c" status || rc=1
done
exit $rc
