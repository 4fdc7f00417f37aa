// `ql capsule verify | inspect | run`: what a user does with a .qlc file.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CapsuleFormatError,
  CapsuleVerificationError,
  extractCapsule,
  readCapsule,
  RUN_SCRIPT_PATH,
  verifyCapsule,
  type CapsuleManifest,
} from '@quantumlayer/capsule';
import { cleanEnv } from '@quantumlayer/codegen';
import type { Command } from 'commander';
import type { Style } from './format.js';
import { localSigningKey } from './keys.js';

export interface CapsuleIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  style: Style;
  /** Ends the command with this exit code. */
  exit(code: number): never;
}

async function trustedKeys(io: CapsuleIo, keyFiles: readonly string[]): Promise<string[]> {
  const keys = [(await localSigningKey(io.env)).publicKeyPem];
  for (const file of keyFiles) {
    try {
      keys.push(await readFile(path.resolve(io.cwd, file), 'utf8'));
    } catch (err) {
      io.err(
        io.style.red(
          `ql: --key ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        ),
      );
      io.exit(2);
    }
  }
  return keys;
}

async function readArchive(io: CapsuleIo, file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path.resolve(io.cwd, file)));
  } catch (err) {
    io.err(
      io.style.red(
        `ql: ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      ),
    );
    return io.exit(2);
  }
}

export function summaryLines(m: CapsuleManifest, digest: string | undefined, s: Style): string[] {
  const q = m.quality;
  const traced = m.traceability ?? [];
  return [
    `${s.bold(`${m.app.name} ${m.app.version}`)} ${s.dim(`(capsule format ${m.formatVersion})`)}`,
    `  stack       ${m.stack.templateId} · ${m.stack.language} · ${m.stack.framework} · ${m.stack.database}`,
    `  generated   ${m.generation.mode} mode${m.generation.generator ? ` · ${m.generation.generator.name}@${m.generation.generator.version}` : ''}${m.generation.models.length ? ` · models: ${m.generation.models.map((x) => `${x.provider}/${x.model}`).join(', ')}` : ''}`,
    `  files       ${m.files.length} (${m.files.reduce((n, f) => n + f.size, 0)} bytes)`,
    `  commands    install: ${m.commands.install} · test: ${m.commands.test} · run: ${m.commands.run}`,
    ...(q?.validation
      ? [
          `  validation  ${q.validation.passed ? 'passed' : 'failed'}${q.validation.summary ? ` (${q.validation.summary})` : ''}`,
        ]
      : []),
    ...(q?.tests ? [`  tests       ${q.tests.passed} passed, ${q.tests.failed} failed`] : []),
    ...(traced.length
      ? [
          `  traced      ${traced.filter((t) => t.tests.length > 0).length} of ${traced.length} acceptance criteria to tests`,
        ]
      : []),
    `  signed by   ${m.signing.algorithm} key ${m.signing.keyId}`,
    ...(digest ? [`  manifest    ${digest}`] : []),
  ];
}

export function registerCapsuleCommands(program: Command, io: CapsuleIo): void {
  const s = io.style;
  const capsule = program
    .command('capsule')
    .description('verify, inspect or run a QuantumCapsule (.qlc)');

  capsule
    .command('verify')
    .description(
      'check archive integrity, every file hash, the signature and the SBOM; one line per problem',
    )
    .argument('<file>', 'the .qlc file')
    .option(
      '--key <pem-file...>',
      'also trust these Ed25519 public keys (the local key is always trusted)',
    )
    .action(async (file: string, opts: { key?: string[] }) => {
      const archive = await readArchive(io, file);
      const result = await verifyCapsule(archive, {
        trustedKeys: await trustedKeys(io, opts.key ?? []),
      });
      if (result.ok) {
        io.out(
          `${s.green('✓')} ${file}: verified (${result.manifest!.files.length} files, signed by ${result.manifest!.signing.keyId})`,
        );
        return;
      }
      for (const p of result.problems)
        io.out(`${s.red('✗')} [${p.check}]${p.file ? ` ${p.file}:` : ''} ${p.message}`);
      io.exit(1);
    });

  capsule
    .command('inspect')
    .description('print the manifest summary (no signature check; use verify for that)')
    .argument('<file>', 'the .qlc file')
    .option('--json', 'print the whole manifest as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const archive = await readArchive(io, file);
      try {
        const c = await readCapsule(archive);
        if (opts.json) io.out(JSON.stringify(c.manifest, null, 2));
        else {
          const { createHash } = await import('node:crypto');
          const digest = `sha256:${createHash('sha256').update(c.manifestBytes).digest('hex')}`;
          for (const line of summaryLines(c.manifest, digest, s)) io.out(line);
        }
      } catch (err) {
        if (!(err instanceof CapsuleFormatError)) throw err;
        io.err(s.red(`ql: ${file}: ${err.message}`));
        io.exit(1);
      }
    });

  capsule
    .command('run')
    .description(
      'verify, unpack to a temporary directory, install from the lock file and start the app',
    )
    .argument('<file>', 'the .qlc file')
    .option('--test', 'run the tests instead of starting the app')
    .option('--key <pem-file...>', 'also trust these Ed25519 public keys')
    .option('--keep', 'keep the unpacked directory')
    .action(async (file: string, opts: { test?: boolean; key?: string[]; keep?: boolean }) => {
      const archive = await readArchive(io, file);
      const trusted = await trustedKeys(io, opts.key ?? []);
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ql-capsule-'));
      const target = path.join(dir, 'capsule');
      let code = 1;
      try {
        let manifest: CapsuleManifest;
        try {
          manifest = await extractCapsule(archive, target, undefined, { trustedKeys: trusted });
        } catch (err) {
          if (!(err instanceof CapsuleVerificationError)) throw err;
          for (const p of err.problems)
            io.err(`${s.red('✗')} [${p.check}]${p.file ? ` ${p.file}:` : ''} ${p.message}`);
          io.err(s.red(`ql: ${file} does not verify; nothing was run`));
          return io.exit(1);
        }
        io.out(
          `${s.green('✓')} verified and unpacked ${manifest.app.name} ${manifest.app.version} into ${target}`,
        );
        io.out(s.dim(`$ ./run${opts.test ? ' --test' : ''}`));
        code = await new Promise<number>((resolve, reject) => {
          const child = spawn(path.join(target, RUN_SCRIPT_PATH), opts.test ? ['--test'] : [], {
            cwd: target,
            env: cleanEnv(io.env),
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          child.stdout.on('data', (d: Buffer) => io.out(d.toString('utf8').replace(/\n$/, '')));
          child.stderr.on('data', (d: Buffer) => io.err(d.toString('utf8').replace(/\n$/, '')));
          child.on('error', reject);
          child.on('close', (c) => resolve(c ?? 1));
        });
        io.out(
          code === 0
            ? `${s.green('✓')} ./run${opts.test ? ' --test' : ''} passed`
            : s.red(`✗ ./run exited with ${code}`),
        );
      } finally {
        if (!opts.keep) await rm(dir, { recursive: true, force: true });
        else io.out(s.dim(`kept ${target}`));
      }
      if (code !== 0) io.exit(1);
    });
}
