# Sourced by the scripts in scripts/proto: puts the shell at the repository root and finds buf.
# Works from any working directory and without git (the root is found from this file's path).

set -euo pipefail

PROTO_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$PROTO_SCRIPTS_DIR/../.." && pwd)"
cd "$REPO_ROOT"

# buf and protoc-gen-es come from packages/contracts' devDependencies (pinned by pnpm-lock.yaml),
# so generation is reproducible and needs no network.
BIN_DIR="$REPO_ROOT/packages/contracts/node_modules/.bin"
BUF="$BIN_DIR/buf"

for tool in buf protoc-gen-es; do
  if [[ ! -x "$BIN_DIR/$tool" ]]; then
    echo "error: $BIN_DIR/$tool not found; run 'pnpm install' at the repository root first" >&2
    exit 1
  fi
done

# Generated files, relative to the repository root (must match buf.gen.yaml).
GEN_DIR="packages/contracts/src/gen"
