import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixturePath } from './helpers.js';

/**
 * A loopback server that speaks the three registry protocols the validators use, answering from
 * the JSON fixtures under fixtures/dependencies/registry:
 *   npm   GET /<name> (scoped: /@scope%2fname) → abbreviated packument, 404 {"error":"Not found"}
 *   PyPI  GET /pypi/<name>/json                  → { info, releases }
 *   Go    GET /go/<escaped module>/@v/list       → newline-separated versions, 404/410
 */
export interface FakeRegistry {
  url: string;
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  /** Names answered with this HTTP status instead (e.g. 500, or 0 to drop the connection). */
  failures: Map<string, number>;
  close(): Promise<void>;
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const npm = JSON.parse(
    readFileSync(fixturePath('dependencies/registry/npm.json'), 'utf8'),
  ) as Record<string, unknown>;
  const pypi = JSON.parse(
    readFileSync(fixturePath('dependencies/registry/pypi.json'), 'utf8'),
  ) as Record<string, unknown>;
  const go = JSON.parse(
    readFileSync(fixturePath('dependencies/registry/go.json'), 'utf8'),
  ) as Record<string, string[]>;
  const requests: FakeRegistry['requests'] = [];
  const failures = new Map<string, number>();

  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, headers: req.headers });
    let name: string;
    let body: string | undefined;
    let type = 'application/json';
    const py = /^\/pypi\/([^/]+)\/json$/.exec(path);
    const gomod = /^\/go\/(.+)\/@v\/list$/.exec(path);
    if (py) {
      name = decodeURIComponent(py[1]!)
        .toLowerCase()
        .replace(/[-_.]+/g, '-');
      body = pypi[name] ? JSON.stringify(pypi[name]) : undefined;
    } else if (gomod) {
      name = gomod[1]!.replace(/!([a-z])/g, (_m, c: string) => c.toUpperCase());
      body = go[name] ? `${go[name]!.join('\n')}\n` : undefined;
      type = 'text/plain';
    } else {
      name = decodeURIComponent(path.slice(1));
      body = npm[name] ? JSON.stringify(npm[name]) : undefined;
    }
    const failure = failures.get(name);
    if (failure === 0) {
      req.socket.destroy();
      return;
    }
    if (failure) {
      res.writeHead(failure, { 'content-type': 'text/plain' }).end('registry unavailable');
      return;
    }
    if (body === undefined) {
      res
        .writeHead(gomod ? 410 : 404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'Not found' }));
      return;
    }
    res.writeHead(200, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failures,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
