#!/usr/bin/env node
import { runCli } from './program.js';

// The only file that touches the process.
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
