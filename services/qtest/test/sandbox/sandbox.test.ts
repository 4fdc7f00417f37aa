// Real bubblewrap runs: each case sets small limits so the whole file stays well under a minute.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  installStep,
  runSandboxed,
  sandboxAvailable,
  SANDBOX_WORKDIR,
  SandboxUnavailableError,
} from '../../src/sandbox/index.js';

let base: string;
let work: string;

beforeAll(async () => {
  const available = await sandboxAvailable();
  // These tests must really run: a missing bwrap is a failure, not a skip.
  expect(available).toEqual({ ok: true });
  base = mkdtempSync(join(tmpdir(), 'ql-sandbox-test-'));
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

beforeEach(() => {
  work = mkdtempSync(join(base, 'work-'));
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : 0);
    });
  });
}

const connectScript = (targets: Array<[string, number]>): string => `
const net = require('net');
const targets = ${JSON.stringify(targets)};
Promise.all(targets.map(([host, port]) => new Promise((resolve) => {
  const s = net.connect({ host, port, timeout: 1500 });
  s.on('connect', () => { s.end(); resolve(host + ':connected'); });
  s.on('timeout', () => { s.destroy(); resolve(host + ':timeout'); });
  s.on('error', (e) => resolve(host + ':' + e.code));
}))).then((r) => console.log(JSON.stringify(r)));`;

test('a normal command runs in the sandbox work dir with its output and exit code', async () => {
  writeFileSync(join(work, 'input.txt'), 'hello from the host\n');
  const r = await runSandboxed({
    command: 'sh',
    args: ['-c', 'cat input.txt; pwd; echo "$CI $FOO"; echo oops >&2; echo made > out.txt; exit 7'],
    workDir: work,
    env: { FOO: 'bar' },
    limits: { wallMs: 10_000 },
  });
  expect(r.exitCode).toBe(7);
  expect(r.signal).toBeNull();
  expect(r.stdout).toBe(`hello from the host\n${SANDBOX_WORKDIR}\ntrue bar\n`);
  expect(r.stderr).toBe('oops\n');
  expect(r.stoppedBy).toBeUndefined();
  expect(r.wallMs).toBeGreaterThan(0);
  expect(readFileSync(join(work, 'out.txt'), 'utf8')).toBe('made\n');
  // As root the tree is lent to a per-run uid; afterwards it is ours again.
  expect(statSync(join(work, 'out.txt')).uid).toBe(process.getuid?.());
});

test('the host environment does not leak in', async () => {
  process.env.QL_SANDBOX_TEST_SECRET = 'leak';
  const r = await runSandboxed({ command: 'env', args: [], workDir: work });
  delete process.env.QL_SANDBOX_TEST_SECRET;
  expect(r.exitCode).toBe(0);
  expect(r.stdout).not.toContain('QL_SANDBOX_TEST_SECRET');
  expect(r.stdout).toContain('PATH=');
});

test('network is off: no loopback of the host, no internet', async () => {
  let connections = 0;
  const server = createServer((s) => {
    connections++;
    s.destroy();
  });
  const port = await listen(server);
  try {
    const r = await runSandboxed({
      command: 'node',
      args: [
        '-e',
        connectScript([
          ['127.0.0.1', port],
          ['1.1.1.1', 443],
        ]),
      ],
      workDir: work,
      limits: { wallMs: 10_000 },
    });
    expect(r.exitCode).toBe(0);
    const results = JSON.parse(r.stdout) as string[];
    expect(results[0]).toBe('127.0.0.1:ECONNREFUSED');
    expect(results[1]).toMatch(/^1\.1\.1\.1:(ENETUNREACH|EHOSTUNREACH|timeout)$/);
    expect(connections).toBe(0);

    // The same command with network on reaches the host's loopback: the test above is meaningful.
    const on = await runSandboxed({
      command: 'node',
      args: ['-e', connectScript([['127.0.0.1', port]])],
      workDir: work,
      network: true,
      limits: { wallMs: 10_000 },
    });
    expect(JSON.parse(on.stdout)).toEqual(['127.0.0.1:connected']);
    expect(connections).toBe(1);
  } finally {
    server.close();
  }
});

test('writes outside the work dir are denied', async () => {
  const outside = mkdtempSync(join(base, 'outside-'));
  const r = await runSandboxed({
    command: 'sh',
    args: [
      '-c',
      `echo x > ${outside}/escaped; echo x > /usr/escaped; echo x > /etc/escaped; ` +
        `echo x > /tmp/private && echo tmp-ok`,
    ],
    workDir: work,
  });
  expect(r.stdout).toBe('tmp-ok\n');
  expect(r.stderr).toMatch(/escaped: (Directory nonexistent|No such file)/);
  expect(r.stderr).toMatch(/\/usr\/escaped: (Read-only file system|Permission denied)/);
  expect(existsSync(join(outside, 'escaped'))).toBe(false);
  expect(existsSync('/usr/escaped')).toBe(false);
  expect(existsSync('/etc/escaped')).toBe(false);
  expect(existsSync('/tmp/private')).toBe(false);
});

test("another tenant's directory is not visible", async () => {
  const other = mkdtempSync(join(base, 'tenant-b-'));
  writeFileSync(join(other, 'secret.txt'), 'tenant b secret');
  const r = await runSandboxed({
    command: 'sh',
    args: ['-c', `cat ${other}/secret.txt; ls ${base}; ls /; cat /etc/shadow; cat /etc/passwd`],
    workDir: work,
  });
  expect(r.stdout).not.toContain('tenant b secret');
  expect(r.stdout).not.toContain('tenant-b-');
  expect(r.stdout.split('\n')).not.toContain('home');
  expect(r.stdout).not.toContain('root:');
  expect(r.stderr).toContain('No such file');
});

test('a fork bomb is stopped by the process limit and the host is unaffected', async () => {
  const r = await runSandboxed({
    command: 'sh',
    args: ['-c', 'f() { f | f; }; f'],
    workDir: work,
    limits: { processes: 24, wallMs: 10_000 },
  });
  expect(r.stoppedBy).toBe('processes');
  expect(r.reason).toContain('process limit');
  expect(r.wallMs).toBeLessThan(10_000);
  expect(spawnSync('true').status).toBe(0);
  expect(execFileSync('node', ['-e', 'console.log(6*7)'], { encoding: 'utf8' })).toBe('42\n');
});

test('allocating 4 GiB is stopped by the memory limit', async () => {
  const r = await runSandboxed({
    command: 'node',
    args: [
      '-e',
      'const keep = []; for (let i = 0; i < 16; i++) keep.push(Buffer.allocUnsafeSlow(256 * 2 ** 20)); console.log("allocated", keep.length)',
    ],
    workDir: work,
    limits: { memoryBytes: 1536 * 2 ** 20, wallMs: 15_000 },
  });
  expect(r.stdout).not.toContain('allocated');
  expect(r.exitCode === 0).toBe(false);
  expect(r.stoppedBy).toBe('memory');
  expect(r.reason).toContain('memory limit');
});

test('an endless loop is stopped by the CPU limit', async () => {
  const r = await runSandboxed({
    command: 'node',
    args: ['-e', 'for (;;) {}'],
    workDir: work,
    limits: { cpuSeconds: 1, wallMs: 10_000 },
  });
  expect(r.stoppedBy).toBe('cpu-time');
  expect(r.signal).toBe('SIGXCPU');
  expect(r.wallMs).toBeLessThan(5_000);
  expect(r.cpuUserMs + r.cpuSystemMs).toBeGreaterThanOrEqual(800);
});

test('a command that waits forever is stopped by the wall-clock limit', async () => {
  const r = await runSandboxed({
    command: 'sh',
    args: ['-c', 'sleep 60 & sleep 60; echo never'],
    workDir: work,
    limits: { wallMs: 800 },
  });
  expect(r.stoppedBy).toBe('wall-time');
  expect(r.stdout).toBe('');
  expect(r.wallMs).toBeGreaterThanOrEqual(800);
  expect(r.wallMs).toBeLessThan(4_000);
});

test('file size and open files limits are reported', async () => {
  const big = await runSandboxed({
    command: 'sh',
    args: ['-c', 'head -c 5000000 /dev/zero > big.bin'],
    workDir: work,
    limits: { fileSizeBytes: 1_000_000 },
  });
  expect(big.stoppedBy).toBe('file-size');
  expect(readFileSync(join(work, 'big.bin')).length).toBeLessThanOrEqual(1_000_000);

  const files = await runSandboxed({
    command: 'node',
    args: [
      '-e',
      'const fs = require("fs"); for (let i = 0; i < 200; i++) fs.openSync("/proc/self/stat", "r")',
    ],
    workDir: work,
    limits: { openFiles: 32 },
  });
  expect(files.stoppedBy).toBe('open-files');
});

test('output beyond maxOutputBytes stops the command', async () => {
  const r = await runSandboxed({
    command: 'sh',
    args: ['-c', 'yes'],
    workDir: work,
    maxOutputBytes: 64 * 1024,
    limits: { wallMs: 10_000 },
  });
  expect(r.stoppedBy).toBe('output');
  expect(r.stdout.length).toBeLessThanOrEqual(64 * 1024);
});

test('an abort signal stops the command', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const r = await runSandboxed({
    command: 'sleep',
    args: ['30'],
    workDir: work,
    signal: ac.signal,
  });
  expect(r.stoppedBy).toBe('aborted');
  expect(r.wallMs).toBeLessThan(5_000);
});

test('bad options are rejected with the field named', async () => {
  await expect(
    runSandboxed({ command: 'true', args: [], workDir: 'relative/dir' }),
  ).rejects.toThrow(/workDir/);
  await expect(
    runSandboxed({ command: 'true', args: [], workDir: work, limits: { processes: -1 } }),
  ).rejects.toThrow(/processes/);
  expect(new SandboxUnavailableError('bwrap missing').message).toContain('apt-get install');
});

describe('install step', () => {
  let registry: ReturnType<typeof createHttpServer>;
  let port = 0;
  let requests = 0;
  let tarball: Buffer;

  beforeAll(async () => {
    // A one-package registry on the host's loopback, which only --share-net can reach.
    const src = join(base, 'dep-src');
    mkdirSync(join(src, 'package'), { recursive: true });
    writeFileSync(
      join(src, 'package', 'package.json'),
      JSON.stringify({
        name: 'ql-dep',
        version: '1.0.0',
        scripts: { postinstall: `echo ran > ${SANDBOX_WORKDIR}/DEP_POSTINSTALL_RAN` },
      }),
    );
    writeFileSync(join(src, 'package', 'index.js'), 'module.exports = 42;\n');
    execFileSync('tar', ['czf', join(src, 'dep.tgz'), '-C', src, 'package']);
    tarball = readFileSync(join(src, 'dep.tgz'));
    registry = createHttpServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(tarball);
    });
    port = await listen(registry as unknown as Server);
  });

  afterAll(() => {
    registry.close();
  });

  function writeProject(dir: string): void {
    const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    const root = {
      name: 'app',
      version: '1.0.0',
      dependencies: { 'ql-dep': '1.0.0' },
      scripts: { preinstall: `echo ran > ${SANDBOX_WORKDIR}/ROOT_PREINSTALL_RAN` },
    };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(root));
    writeFileSync(
      join(dir, 'package-lock.json'),
      JSON.stringify({
        name: 'app',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'app', version: '1.0.0', dependencies: { 'ql-dep': '1.0.0' } },
          'node_modules/ql-dep': {
            version: '1.0.0',
            resolved: `http://127.0.0.1:${port}/ql-dep-1.0.0.tgz`,
            integrity,
            hasInstallScript: true,
          },
        },
      }),
    );
  }

  const npmEnv = { npm_config_fetch_retries: '0', npm_config_loglevel: 'error' };

  test('reaches the network with network on, and runs no lifecycle scripts', async () => {
    writeProject(work);
    const r = await installStep({ workDir: work, env: npmEnv, limits: { wallMs: 30_000 } });
    expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(requests).toBeGreaterThan(0);
    expect(readFileSync(join(work, 'node_modules/ql-dep/index.js'), 'utf8')).toContain('42');
    expect(existsSync(join(work, 'DEP_POSTINSTALL_RAN'))).toBe(false);
    expect(existsSync(join(work, 'ROOT_PREINSTALL_RAN'))).toBe(false);
  });

  test('cannot reach the network with network off', async () => {
    writeProject(work);
    const before = requests;
    const r = await installStep({
      workDir: work,
      network: false,
      env: npmEnv,
      limits: { wallMs: 30_000 },
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/ECONNREFUSED|network/i);
    expect(requests).toBe(before);
    expect(existsSync(join(work, 'node_modules/ql-dep'))).toBe(false);
  });
});
