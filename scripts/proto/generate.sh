#!/usr/bin/env bash
# Regenerates packages/contracts/src/gen from proto/ (`make proto`). The output is committed and
# deliberately left unformatted: prettier and eslint ignore src/gen, so the check in
# check-fresh.sh can compare buf's output byte for byte.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$BUF" generate
echo "generated $GEN_DIR from proto/"
