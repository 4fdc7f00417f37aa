// The `run` script at the capsule root: the one command a user needs after unpacking.
import type { z } from 'zod';
import type { AppSchema, CommandsSchema } from './manifest.js';
import { PROJECT_DIR } from './paths.js';

type App = z.infer<typeof AppSchema>;
type Commands = z.infer<typeof CommandsSchema>;

/** Indents a (possibly multi-line) command inside a case branch. */
function step(command: string): string {
  return command
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/**
 * POSIX sh: `./run` installs from the lock file, builds and starts the app; `./run --test`
 * installs and runs the tests. It always works from the project directory next to it.
 */
export function runScript(app: App, commands: Commands): string {
  return `#!/bin/sh
# QuantumCapsule launcher for ${app.name} ${app.version} (generated).
#   ./run          install dependencies from the lock file, build, and start the app
#   ./run --test   install dependencies from the lock file and run the tests
set -eu
cd "$(dirname "$0")/${PROJECT_DIR}"

usage() {
  echo "usage: ./run [--test]"
}

case "\${1:-}" in
  "" | --start)
${step(commands.install)}
${step(commands.build)}
${step(commands.run)}
    ;;
  --test)
${step(commands.install)}
${step(commands.test)}
    ;;
  -h | --help)
    usage
    ;;
  *)
    echo "run: unknown option '$1'" >&2
    usage >&2
    exit 2
    ;;
esac
`;
}
