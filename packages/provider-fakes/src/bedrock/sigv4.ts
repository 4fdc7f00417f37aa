// Server-side check of AWS Signature Version 4 (header form), following the SigV4 reference:
// canonical request -> string to sign -> HMAC chain of the secret over date, region, service,
// "aws4_request". Non-S3 services sign the URI-encoded path a second time, so a model id
// sent as `...v1%3A0` is signed as `...v1%253A0`.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The static credentials the Bedrock fake knows by default. Never valid anywhere else. */
export const FAKE_AWS_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIAFAKEPROVIDER0001',
  secretAccessKey: 'fake-provider-secret-key-for-loopback-tests',
};

export interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;:._-]+),\s*Signature=([0-9a-f]{64})$/;

/** Parses the Authorization header; undefined when it is not well-formed SigV4. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  if (!header) return undefined;
  const m = AUTH_RE.exec(header.trim());
  if (!m) return undefined;
  return {
    accessKeyId: m[1]!,
    date: m[2]!,
    region: m[3]!,
    service: m[4]!,
    signedHeaders: m[5]!.split(';'),
    signature: m[6]!,
  };
}

/** `x-amz-date` (YYYYMMDDTHHMMSSZ) as epoch milliseconds, or NaN. */
export function parseAmzDate(value: string | undefined): number {
  const m = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent plus !'()*). */
export function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  const normalized = `${rawPath.startsWith('/') ? '/' : ''}${segments.join('/')}${trailing}`;
  return uriEscape(normalized).replace(/%2F/g, '/');
}

export function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    const v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    pairs.push([uriEscape(k), uriEscape(v)]);
  }
  pairs.sort((a, b) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0,
  );
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(',') : v).replace(/\s+/g, ' ').trim();
}

export interface SignedRequest {
  method: string;
  /** Path as received, still percent-encoded. */
  path: string;
  /** Raw query string without `?`. */
  query: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The signature a client holding `secret` would have computed for this request. */
export function expectedSignature(
  req: SignedRequest,
  auth: ParsedAuthorization,
  secret: string,
): string | undefined {
  const amzDate = headerValue(req.headers, 'x-amz-date');
  if (!amzDate) return undefined;
  const lines: string[] = [];
  for (const name of auth.signedHeaders) {
    const v = headerValue(req.headers, name);
    if (v === undefined) return undefined;
    lines.push(`${name}:${v}`);
  }
  const declared = headerValue(req.headers, 'x-amz-content-sha256');
  const payloadHash = declared ?? sha256Hex(req.body);
  const canonical = [
    req.method,
    canonicalPath(req.path),
    canonicalQuery(req.query),
    lines.join('\n') + '\n',
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
  const kDate = hmac(`AWS4${secret}`, auth.date);
  const kRegion = hmac(kDate, auth.region);
  const kService = hmac(kRegion, auth.service);
  const kSigning = hmac(kService, 'aws4_request');
  return createHmac('sha256', kSigning).update(toSign, 'utf8').digest('hex');
}

export function signaturesMatch(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** True when a declared x-amz-content-sha256 does not match the body actually received. */
export function payloadHashMismatch(req: SignedRequest): boolean {
  const declared = headerValue(req.headers, 'x-amz-content-sha256');
  if (!declared || declared === 'UNSIGNED-PAYLOAD' || declared.startsWith('STREAMING-'))
    return false;
  return declared !== sha256Hex(req.body);
}

/**
 * Signs a request the way an AWS client does (used by the unit tests to cross-check the
 * verifier against fixed vectors, and handy for curl-style manual runs).
 */
export function signRequest(
  req: Omit<SignedRequest, 'headers'> & { headers: Record<string, string> },
  creds: AwsCredentials,
  region: string,
  service: string,
  now = new Date(),
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const headers: Record<string, string> = { ...req.headers, 'x-amz-date': amzDate };
  if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken;
  const lower: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  const signedHeaders = Object.keys(lower).sort();
  const auth: ParsedAuthorization = {
    accessKeyId: creds.accessKeyId,
    date: amzDate.slice(0, 8),
    region,
    service,
    signedHeaders,
    signature: '',
  };
  const signature = expectedSignature({ ...req, headers: lower }, auth, creds.secretAccessKey)!;
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${auth.date}/${region}/${service}/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return headers;
}
