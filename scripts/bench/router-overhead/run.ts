// Router overhead benchmark. In one run, on this machine, against the same loopback fake upstream:
//   direct  — the fake OpenAI server itself
//   proxy   — a bare node:http reverse proxy piping to the fake
//   router  — the router (services/router, built dist) routing to the fake through its adapter
// at concurrency 1 and 32, printing requests/s, p50/p99 latency and the RSS of the process under
// test. Targets (issue 3): router rps at c=32 ≥ 50% of the proxy's; router p50 at c=1 at most
// 0.5 ms above the direct upstream's.
//
//   node --import tsx scripts/bench/router-overhead/run.ts [--duration-ms 5000] [--warmup-ms 1000]
//        [--concurrency 1,32] [--stream] [--database-url postgres://…] [--no-build] [--portkey]
//        [--routers direct,sdk,platform] [--baseline-dist <dir>] [--cpu-prof <dir>]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { runLoad, type LoadResult } from './load.js';

/** The workspace root, found from the working directory (works whether tsx loads this as CJS or ESM). */
function workspaceRoot(): string {
  for (let dir = resolve(process.cwd()); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error('run from inside the QuantumLayer workspace');
  }
}
const ROOT = workspaceRoot();
const API_KEY = 'sk-bench-0123456789abcdef';

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '5000' },
    'warmup-ms': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '1,32' },
    stream: { type: 'boolean', default: false },
    'database-url': { type: 'string' },
    /** NATS, as deployed (usage events published to JetStream instead of the in-memory bus). */
    'nats-url': { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    portkey: { type: 'boolean', default: false },
    /** Write a V8 CPU profile of the router process into this directory (see profile.ts). */
    'cpu-prof': { type: 'string' },
    /**
     * Router processes to run, by upstream client: `direct` (the default: the router's own
     * Chat Completions client, `upstream.client: direct`), `sdk` (the official openai SDK on the
     * router's keep-alive fetch, `upstream.client: sdk`), `platform` (the SDK on Node's built-in
     * fetch), e.g. `--routers direct,sdk`. The first is the one the targets are checked on.
     */
    routers: { type: 'string', default: 'direct' },
    /** Also run another build of the router (a `dist` directory), e.g. the one before a change. */
    'baseline-dist': { type: 'string' },
    /** NODE_OPTIONS for the router processes (e.g. to compare V8 heap settings). */
    'router-node-options': { type: 'string' },
    /** NODE_OPTIONS for the baseline router only (`--baseline-dist services/router/dist` runs the same build). */
    'baseline-node-options': { type: 'string' },
  },
});
const durationMs = Number(values['duration-ms']);
const warmupMs = Number(values['warmup-ms']);
const concurrencies = values.concurrency.split(',').map(Number);
const stream = values.stream;

const children: ChildProcess[] = [];
/** Children started in their own process group (stopped with the whole group). */
const groups: ChildProcess[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'router-bench-'));

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  for (const g of groups) {
    if (g.pid !== undefined && g.exitCode === null) {
      try {
        process.kill(-g.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

/** Starts a child and resolves with the first stdout line that parses as JSON. */
function startJsonChild(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((res, rej) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        res({ child, info: JSON.parse(line) as Record<string, unknown> });
      } catch {
        // not the announcement
      }
    });
    child.once('exit', (code) => rej(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/** CPU time the process has used so far, user and system, in µs (from /proc, 10 ms ticks). */
function cpuUs(pid: number | undefined): { user: number; sys: number } {
  if (!pid) return { user: NaN, sys: NaN };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      user: (Number(f[11]) * 1e6) / CLOCK_TICKS,
      sys: (Number(f[12]) * 1e6) / CLOCK_TICKS,
    };
  } catch {
    return { user: NaN, sys: NaN };
  }
}
const CLOCK_TICKS = 100;

function rssMb(pid: number | undefined): { rss: number; peak: number } {
  if (!pid) return { rss: NaN, peak: NaN };
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

function body(model: string): string {
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello in one short sentence.' },
    ],
    max_tokens: 32,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

async function main() {
  const loadAtStart = loadavg()[0]!;
  if (!values['no-build']) {
    process.stderr.write('building the router and its workspace dependencies…\n');
    const b = spawnSync('pnpm', ['--filter', '@quantumlayer/router...', 'run', 'build'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    if (b.status !== 0) throw new Error('build failed');
  }

  const fake = await startJsonChild([
    '--import',
    'tsx',
    'packages/provider-fakes/src/cli.ts',
    'openai',
    '--port',
    '0',
    '--api-key',
    API_KEY,
  ]);
  const fakeUrl = String(fake.info.url);
  const proxy = await startJsonChild([
    '--import',
    'tsx',
    'scripts/bench/router-overhead/proxy.ts',
    fakeUrl,
  ]);
  const proxyUrl = String(proxy.info.proxy);

  /**
   * One router process per upstream client asked for (`--routers node-http,platform`), plus,
   * with `--baseline-dist <dir>`, one from another build of the router (its `dist` directory, e.g.
   * a copy of an earlier build) with its own defaults: before/after in the same run.
   */
  const UPSTREAM: Record<string, string> = {
    direct: 'upstream:\n  client: direct\n',
    sdk: 'upstream:\n  client: sdk\n  fetch: node-http\n',
    platform: 'upstream:\n  client: sdk\n  fetch: platform\n',
  };
  const routerModes = values.routers.split(',').map((m) => m.trim());
  for (const m of routerModes)
    if (!UPSTREAM[m])
      throw new Error(`--routers: unknown mode ${m} (${Object.keys(UPSTREAM).join('|')})`);
  const plan: {
    key: string;
    name: string;
    main: string;
    upstream: string;
    nodeOptions?: string;
  }[] = routerModes.map((mode, i) => ({
    key: mode,
    // The first router is "router": the one the targets are checked on.
    name: i === 0 ? 'router' : `router (${mode})`,
    main: 'services/router/dist/main.js',
    upstream: UPSTREAM[mode]!,
    nodeOptions: values['router-node-options'],
  }));
  if (values['baseline-dist']) {
    plan.push({
      key: 'baseline',
      name: 'router (baseline build)',
      main: join(resolve(values['baseline-dist']), 'main.js'),
      upstream: '',
      nodeOptions: values['baseline-node-options'] ?? values['router-node-options'],
    });
  }
  const schemas: string[] = [];
  const routers: { name: string; url: string; child: ChildProcess }[] = [];
  for (const r of plan) {
    const configPath = join(tmp, `router-${r.key}.yaml`);
    writeFileSync(
      configPath,
      `providers:
  - name: bench
    kind: openai
    baseUrl: ${fakeUrl}/v1
    apiKeyEnv: BENCH_OPENAI_KEY
    models:
      - id: gpt-4o-mini
        inputCostPerMTok: 0.15
        outputCostPerMTok: 0.60
        quality: 0.72
        contextWindow: 128000
${r.upstream}`,
    );
    const routerPort = await freePort();
    const schema = `bench_router_${process.pid}_${r.key.replace('-', '_')}`;
    schemas.push(schema);
    const dataDir = join(tmp, r.key);
    mkdirSync(dataDir);
    const routerEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      QL_ROUTER_CONFIG: configPath,
      QL_HTTP_PORT: String(routerPort),
      QL_GRPC_PORT: '0',
      QL_HOST: '127.0.0.1',
      QL_LOG_LEVEL: 'warn',
      QL_DATA_DIR: dataDir,
      BENCH_OPENAI_KEY: API_KEY,
      NODE_ENV: 'production',
      ...(r.nodeOptions ? { NODE_OPTIONS: r.nodeOptions } : {}),
      ...(values['database-url']
        ? { QL_DATABASE_URL: values['database-url'], QL_ROUTER_SCHEMA: schema }
        : {}),
      ...(values['nats-url'] ? { QL_NATS_URL: values['nats-url'], QL_BUS_NAMESPACE: schema } : {}),
    };
    const profileArgs = values['cpu-prof']
      ? ['--cpu-prof', '--cpu-prof-dir', resolve(values['cpu-prof'])]
      : [];
    const child = spawn(process.execPath, [...profileArgs, r.main], {
      cwd: ROOT,
      env: routerEnv,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    const url = `http://127.0.0.1:${routerPort}`;
    await waitReady(`${url}/readyz`, child);
    routers.push({ name: r.name, url, child });
  }

  const targets: {
    name: string;
    url: string;
    pid: number | undefined;
    body: string;
    headers?: Record<string, string>;
  }[] = [
    {
      name: 'direct (fake upstream)',
      url: `${fakeUrl}/v1/chat/completions`,
      pid: fake.child.pid,
      body: body('gpt-4o-mini'),
      headers: { authorization: `Bearer ${API_KEY}` },
    },
    {
      name: 'bare node proxy',
      url: `${proxyUrl}/v1/chat/completions`,
      pid: proxy.child.pid,
      body: body('gpt-4o-mini'),
      headers: { authorization: `Bearer ${API_KEY}` },
    },
    ...routers.map((r) => ({
      name: r.name,
      url: `${r.url}/v1/chat/completions`,
      pid: r.child.pid,
      body: body('bench/gpt-4o-mini'),
    })),
  ];

  if (values.portkey) {
    const portkeyPort = await freePort();
    // npx runs the gateway as its own child: start it in a process group of its own so the
    // whole group can be stopped by its id.
    const pk = spawn('npx', ['--yes', '@portkey-ai/gateway@1.15.2', `--port=${portkeyPort}`], {
      cwd: tmp,
      stdio: 'ignore',
      detached: true,
    });
    groups.push(pk);
    await waitReady(`http://127.0.0.1:${portkeyPort}/`, pk, 120_000).catch(() => undefined);
    targets.push({
      name: 'portkey gateway',
      url: `http://127.0.0.1:${portkeyPort}/v1/chat/completions`,
      pid: pk.pid,
      body: body('gpt-4o-mini'),
      headers: {
        authorization: `Bearer ${API_KEY}`,
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `${fakeUrl}/v1`,
      },
    });
  }

  const results: {
    target: string;
    c: number;
    r: LoadResult;
    rss: number;
    peak: number;
    cpuPerReq: number;
    sysPerReq: number;
  }[] = [];
  for (const c of concurrencies) {
    for (const t of targets) {
      const cpu0 = cpuUs(t.pid);
      const r = await runLoad({
        url: t.url,
        body: t.body,
        headers: t.headers,
        concurrency: c,
        durationMs,
        warmupMs,
        stream,
      });
      const cpu1 = cpuUs(t.pid);
      const cpuPerReq = (cpu1.user + cpu1.sys - cpu0.user - cpu0.sys) / r.sent;
      const sysPerReq = (cpu1.sys - cpu0.sys) / r.sent;
      const { rss, peak } = rssMb(t.pid);
      results.push({ target: t.name, c, r, rss, peak, cpuPerReq, sysPerReq });
      process.stderr.write(`  ${t.name} c=${c}: ${r.rps.toFixed(0)} req/s\n`);
    }
  }

  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '-');
  console.log(
    `\nrouter overhead — ${stream ? 'streamed' : 'non-streamed'} chat completions, ${durationMs} ms per run, node ${process.version}, usage events to ${values['nats-url'] ? 'NATS JetStream' : 'the in-memory bus'}, database ${values['database-url'] ? 'Postgres' : 'PGlite'}`,
  );
  console.log(
    `${pad('target', 30)}${pad('conc', 6)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('errors', 8)}${pad('CPU µs/req (sys)', 18)}${pad('RSS MB', 9)}peak RSS MB`,
  );
  for (const x of results) {
    console.log(
      `${pad(x.target, 30)}${pad(String(x.c), 6)}${pad(num(x.r.rps, 0), 10)}${pad(num(x.r.p50Ms, 3), 9)}${pad(num(x.r.p99Ms, 3), 9)}${pad(String(x.r.errors), 8)}${pad(`${num(x.cpuPerReq, 0)} (${num(x.sysPerReq, 0)})`, 18)}${pad(num(x.rss, 0), 9)}${num(x.peak, 0)}`,
    );
  }
  const get = (name: string, c: number) => results.find((x) => x.target === name && x.c === c)?.r;
  const direct1 = get('direct (fake upstream)', 1);
  const router1 = get('router', 1);
  const proxy32 = get('bare node proxy', 32);
  const router32 = get('router', 32);
  console.log(
    `load average (1 min) at start → end: ${loadAtStart.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    '(CPU µs/req: user+system CPU time of that one process over the run, warm-up included, per request, the system part in brackets; the load generator and, for proxy and router, the fake upstream run in processes of their own.)',
  );
  console.log('');
  if (direct1 && router1) {
    const added = router1.p50Ms - direct1.p50Ms;
    console.log(
      `added p50 at c=1 (router − direct): ${added.toFixed(3)} ms  (target ≤ 0.5 ms: ${added <= 0.5 ? 'met' : 'NOT met'})`,
    );
  }
  if (proxy32 && router32) {
    const share = router32.rps / proxy32.rps;
    console.log(
      `router/proxy throughput at c=32: ${(share * 100).toFixed(0)}%  (target ≥ 50%: ${share >= 0.5 ? 'met' : 'NOT met'})`,
    );
  }

  // A clean stop (it also writes the CPU profile when --cpu-prof is given).
  await Promise.all(
    routers.map(({ child }) => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      return exited;
    }),
  );
  if (values['database-url']) {
    const pg = createRequire(join(ROOT, 'packages/kit/package.json'))('pg') as {
      Client: new (o: { connectionString: string }) => {
        connect(): Promise<void>;
        query(sql: string): Promise<unknown>;
        end(): Promise<void>;
      };
    };
    const client = new pg.Client({ connectionString: values['database-url'] });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
  if (values['nats-url']) {
    const kit = (await import(join(ROOT, 'packages/kit/dist/index.js'))) as {
      connectNatsBus(o: { servers: string; namespace: string }): Promise<{
        deleteStreams(names: string[]): Promise<void>;
        close(): Promise<void>;
      }>;
    };
    for (const namespace of schemas) {
      const bus = await kit.connectNatsBus({ servers: values['nats-url'], namespace });
      await bus.deleteStreams(['QL_USAGE']).catch(() => undefined);
      await bus.close();
    }
  }
}

main()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
