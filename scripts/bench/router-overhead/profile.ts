// Summarises a V8 CPU profile of the router (from `run.ts --cpu-prof <dir>`): where the busy time
// went, by area (the router's own code, each dependency, Node internals, GC) and by function.
//
//   node --import tsx scripts/bench/router-overhead/profile.ts <file.cpuprofile> [--top 40]
//        [--requests N]   # divide by N requests to print µs per request
//        [--skip-s S]     # leave out the first S seconds (start-up)
//        [--inclusive RE] [--callers RE --depth N]   # inclusive time / call stacks of functions
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '40' },
    requests: { type: 'string' },
    /** Also print inclusive (self + callees) time of the functions whose name matches. */
    inclusive: { type: 'string' },
    /** Also print the call stacks (innermost first, --depth frames) of the matching functions. */
    callers: { type: 'string' },
    depth: { type: 'string', default: '8' },
    /** Ignore the first seconds of the profile (start-up: module loading, compiling). */
    'skip-s': { type: 'string', default: '0' },
  },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile.ts <file.cpuprofile> [--top N] [--requests N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const requests = values.requests ? Number(values.requests) : undefined;

/** The area a frame belongs to: a package name, the router, the kit, node internals… */
function area(f: CallFrame): string {
  const u = f.url;
  if (!u) {
    if (f.functionName === '(garbage collector)') return '(gc)';
    if (f.functionName === '(idle)') return '(idle)';
    if (f.functionName === '(program)') return '(program)';
    return '(native)';
  }
  if (u.startsWith('node:')) {
    if (u.includes('internal/deps/undici')) return 'node:undici (fetch)';
    if (u.includes('webstreams')) return 'node:webstreams';
    if (/internal\/(http|_http)|node:_http|node:http/.test(u)) return 'node:http';
    if (/net|stream|streams/.test(u)) return 'node:net/stream';
    return 'node:other';
  }
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (pkg) return pkg[1]!;
  const ws = /\/(services\/router|packages\/[^/]+)\/(?:dist|src)\/(.*)$/.exec(u);
  if (ws) {
    if (ws[1] === 'services/router') return `router:${ws[2]!.split('/')[0]!.replace(/\.js$/, '')}`;
    return ws[1]!;
  }
  return u;
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
const skipUs = Number(values['skip-s']) * 1e6;
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0;
  if (at - profile.startTime < skipUs) continue;
  const id = profile.samples[i]!;
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}

const totalUs = profile.endTime - profile.startTime - skipUs;
let idleUs = 0;
const areas = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const a = area(n.callFrame);
  if (a === '(idle)') {
    idleUs += us;
    continue;
  }
  areas.set(a, (areas.get(a) ?? 0) + us);
  const name = `${n.callFrame.functionName || '(anonymous)'}  ${a}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  fns.set(name, (fns.get(name) ?? 0) + us);
}
const busyUs = totalUs - idleUs;

const fmt = (us: number) =>
  `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / busyUs).toFixed(1).padStart(5)}%` +
  (requests ? ` ${(us / requests).toFixed(1).padStart(7)} µs/req` : '');

console.log(
  `profile: ${(totalUs / 1e6).toFixed(1)} s, busy ${(busyUs / 1e6).toFixed(1)} s (${((100 * busyUs) / totalUs).toFixed(0)}%)` +
    (requests
      ? `, ${requests} requests: ${(busyUs / requests).toFixed(0)} µs busy per request`
      : ''),
);
/** Areas (and a few native functions) grouped into what a router call pays for. */
function bucket(a: string, fn: string): string {
  if (
    a === '(native)' &&
    /^(writev|writeBuffer|writeUtf8String|writeLatin1String|readStart)$/.test(fn)
  )
    return 'socket I/O (write syscalls; includes time descheduled in them)';
  if (/^(openai|groq-sdk|@anthropic-ai\/sdk)$/.test(a)) return 'provider SDK (its own code)';
  if (a === 'node:undici (fetch)' || a === 'node:webstreams')
    return 'undici objects (SDK request Headers, AbortSignal.any, web streams)';
  if (a === 'node:http' || a === 'node:net/stream') return 'node:http server + client, streams';
  if (a.startsWith('router:')) return 'router code';
  if (/^(fastify|find-my-way|secure-json-parse|toad-cache|avvio|light-my-request)$/.test(a))
    return 'fastify (routing, body parsing, reply)';
  if (a === 'zod') return 'request validation (zod)';
  if (
    /^(pg|pg-protocol|pg-pool|pg-types|postgres-bytea|drizzle-orm|@bufbuild\/protobuf|protobufjs|packages\/kit|@electric-sql\/pglite)$/.test(
      a,
    )
  )
    return 'usage records (pg/PGlite, protobuf, outbox, bus)';
  if (/^(prom-client|opossum|@opentelemetry\/.*)$/.test(a)) return 'metrics, breaker, tracing API';
  if (a === '(gc)') return 'garbage collection';
  return 'Node runtime (promises, events, timers, other)';
}

const buckets = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const a = area(n.callFrame);
  if (a === '(idle)') continue;
  const b = bucket(a, n.callFrame.functionName);
  buckets.set(b, (buckets.get(b) ?? 0) + us);
}

console.log('\nself time by what it is for');
for (const [b, us] of [...buckets].sort((x, y) => y[1] - x[1])) console.log(`${fmt(us)}  ${b}`);

console.log('\nself time by area');
for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 30))
  console.log(`${fmt(us)}  ${a}`);
console.log(`\ntop ${values.top} functions by self time`);
for (const [f, us] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top)))
  console.log(`${fmt(us)}  ${f}`);

if (values.inclusive) {
  const re = new RegExp(values.inclusive);
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    if (area(byId.get(id)!.callFrame) === '(idle)') continue;
    // Each sample counts once per matching function name on its stack.
    const names = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      const name = `${f.functionName || '(anonymous)'}  ${area(f)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
      if (re.test(name)) names.add(name);
    }
    for (const name of names) incl.set(name, (incl.get(name) ?? 0) + us);
  }
  console.log(`\ninclusive time of functions matching /${values.inclusive}/`);
  for (const [f, us] of [...incl].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top)))
    console.log(`${fmt(us)}  ${f}`);
}

if (values.callers) {
  const re = new RegExp(values.callers);
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (f: CallFrame) =>
    `${f.functionName || '(anonymous)'} ${area(f)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  const stacks = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    if (!re.test(label(f))) continue;
    const frames: string[] = [];
    for (
      let cur = parent.get(id);
      cur !== undefined && frames.length < Number(values.depth);
      cur = parent.get(cur)
    )
      frames.push(label(byId.get(cur)!.callFrame));
    const key = `${label(f)} <- ${frames.join(' <- ')}`;
    stacks.set(key, (stacks.get(key) ?? 0) + us);
  }
  console.log(`\ncall stacks of functions matching /${values.callers}/`);
  for (const [k, us] of [...stacks].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top)))
    console.log(`${fmt(us)}  ${k}`);
}
