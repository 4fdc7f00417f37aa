// Starts one fake provider from the command line, for benchmarks and manual runs:
//   node --import tsx packages/provider-fakes/src/cli.ts openai --port 19001
// Prints one JSON line with the URL once listening; stops on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { FAMILIES, createFake, type AnyFakeOptions, type FakeName } from './factory.js';
import type { Behaviour } from './core/types.js';

const USAGE = `usage: cli.ts <${FAMILIES.join('|')}> [--port N] [--host H] [--base-path P]
  [--ttft-ms N] [--chunk-delay-ms N] [--delay-ms N] [--context-window N] [--api-key K]
  [--no-verify-signature] [--record]`;

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} expects a non-negative number`);
  return n;
}

async function main(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'base-path': { type: 'string' },
      'ttft-ms': { type: 'string' },
      'chunk-delay-ms': { type: 'string' },
      'delay-ms': { type: 'string' },
      'context-window': { type: 'string' },
      'api-key': { type: 'string' },
      'no-verify-signature': { type: 'boolean', default: false },
      record: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const name = positionals[0] as FakeName | undefined;
  if (values.help || !name || !FAMILIES.includes(name)) {
    console.error(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const ttftMs = num(values['ttft-ms'], 'ttft-ms');
  const chunkDelayMs = num(values['chunk-delay-ms'], 'chunk-delay-ms');
  const delayMs = num(values['delay-ms'], 'delay-ms');
  const defaultBehaviour: Behaviour = {
    kind: 'reply',
    ...(ttftMs !== undefined ? { ttftMs } : {}),
    ...(chunkDelayMs !== undefined ? { chunkDelayMs } : {}),
    ...(delayMs !== undefined ? { delayMs } : {}),
  };
  const options: AnyFakeOptions = {
    // A long-running fake under load must not grow without bound.
    record: values.record,
    defaultBehaviour,
    verifySignature: !values['no-verify-signature'],
  };
  const contextWindow = num(values['context-window'], 'context-window');
  if (contextWindow !== undefined) options.contextWindow = contextWindow;
  if (values['base-path'] !== undefined) options.basePath = values['base-path'];
  if (values['api-key'] !== undefined) options.apiKey = values['api-key'];
  const fake = createFake(name, options);
  const started = await fake.start({ port: num(values.port, 'port') ?? 0, host: values.host });
  console.log(JSON.stringify({ fake: name, ...started }));
  const stop = () => {
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
