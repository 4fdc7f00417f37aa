import type { ReportedRequest } from './types.js';

export type ApiRequest = {
  method: string;
  /** Path with parameters substituted and encoded. */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** JSON value to send, or `raw` text sent verbatim as application/json. */
  body?: unknown;
  raw?: string;
};

export type ApiResponse = { status: number; text: string; json: unknown; isJson: boolean };

const EXCERPT = 500;

export function reportRequest(req: ApiRequest): ReportedRequest {
  const headers = { ...req.headers };
  if (headers['authorization']) headers['authorization'] = 'Bearer <redacted>';
  const out: ReportedRequest = {
    method: req.method,
    path: req.path,
    query: req.query,
    body: req.raw ?? req.body,
  };
  if (Object.keys(headers).length > 0) out.headers = headers;
  return out;
}

export function excerpt(text: string): string {
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
}

export async function send(
  baseUrl: string,
  req: ApiRequest,
  timeoutMs: number,
): Promise<ApiResponse> {
  const url = new URL(baseUrl.replace(/\/+$/, '') + req.path);
  for (const [k, v] of Object.entries(req.query)) {
    for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, item);
  }
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let body: string | undefined;
  if (req.raw !== undefined) body = req.raw;
  else if (req.body !== undefined) body = JSON.stringify(req.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(url, {
    method: req.method,
    headers,
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: unknown;
  let isJson = false;
  if (text.length > 0) {
    try {
      json = JSON.parse(text);
      isJson = true;
    } catch {
      // not JSON: conformance reports it when the documented response is JSON
    }
  }
  return { status: res.status, text, json, isJson };
}
