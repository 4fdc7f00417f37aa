import { Agent, request } from 'node:http';

export interface LoadResult {
  /** Measured requests (after the warm-up) that succeeded. */
  requests: number;
  /** Every request sent, warm-up included (for CPU per request over the whole run). */
  sent: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

export interface LoadOptions {
  url: string;
  body: string;
  headers?: Record<string, string>;
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  /** Consume the whole response (streams: until the last SSE frame). */
  stream?: boolean;
}

function once(
  agent: Agent,
  url: URL,
  body: Buffer,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': String(body.length),
          ...headers,
        },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * A closed-loop load generator: `concurrency` workers, each sending its next request when the
 * previous one finished, over keep-alive connections. Latency is measured per request from
 * write to last byte; requests of the warm-up are not counted.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const url = new URL(o.url);
  const body = Buffer.from(o.body);
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const headers = o.headers ?? {};
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const start = performance.now();
  const warmEnd = start + o.warmupMs;
  const end = warmEnd + o.durationMs;
  let measuredStart = 0;
  let measuredEnd = 0;

  const worker = async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      let status = 0;
      try {
        status = await once(agent, url, body, headers);
      } catch {
        status = 0;
      }
      const t1 = performance.now();
      sent++;
      if (t0 >= warmEnd) {
        if (measuredStart === 0) measuredStart = t0;
        measuredEnd = t1;
        if (status === 200) latencies.push(t1 - t0);
        else errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  agent.destroy();
  const seconds = (measuredEnd - measuredStart) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    sent,
    errors,
    seconds,
    rps: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
  };
}
