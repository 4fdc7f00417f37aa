// Test helpers: the real ts-fastify project fixture, capsule input around it, and raw tar.gz
// building with tar-stream directly (for tampered and hostile archives the builder never makes).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { pack as tarPack } from 'tar-stream';
import type { Header } from 'tar-stream';
import type { CapsuleInput } from '../../src/domain/index.js';

interface Fixture {
  appName: string;
  stack: CapsuleInput['stack'];
  files: { path: string; content: string; executable?: boolean }[];
}

/** A project rendered by codegen's ts-fastify template (with its real npm lock file). */
export const todoApp: Fixture = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures', 'todo-app.json'), 'utf8'),
) as Fixture;

export function todoInput(overrides: Partial<CapsuleInput> = {}): CapsuleInput {
  return {
    files: todoApp.files.map((f) => ({ ...f })),
    app: { name: todoApp.appName, version: '0.1.0' },
    stack: todoApp.stack,
    commands: { install: 'npm ci', build: 'npm run build', test: 'npm test', run: 'npm start' },
    generation: {
      mode: 'blueprint',
      generationId: 'gen-0001',
      generator: { name: 'ts-fastify', version: '1.0.0' },
      requirementsSha256: 'a'.repeat(64),
    },
    traceability: [{ criterionId: 'AC-1', tests: ['test/tasks.test.ts > tasks > creates a task'] }],
    ...overrides,
  };
}

export interface RawEntry extends Partial<Header> {
  name: string;
  data?: Uint8Array | string;
}

/** The tar stream (not gzip'd) of `entries`, in the order given, written by tar-stream. */
export async function rawTar(entries: readonly RawEntry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const { data, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      const h = { mtime: new Date(0), mode: 0o644, ...header };
      if (data === undefined) pack.entry(h, cb);
      else pack.entry(h, typeof data === 'string' ? Buffer.from(data) : Buffer.from(data), cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function rawTarGz(entries: readonly RawEntry[]): Promise<Uint8Array> {
  return new Uint8Array(gzipSync(await rawTar(entries)));
}

/** Entries of a capsule as RawEntry (for repacking with changes). */
export function asRaw(entries: Map<string, { data: Uint8Array; mode: number }>): RawEntry[] {
  return [...entries].map(([name, e]) => ({ name, data: e.data, mode: e.mode }));
}
