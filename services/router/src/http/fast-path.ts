import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '@quantumlayer/kit';
import { sendError, type ChatHandler } from './openai.js';

/**
 * `POST /v1/chat/completions` served straight off node:http, ahead of fastify: the hot route of
 * the router, where fastify's request/reply objects, hooks, content-type parsing and reply
 * pipeline cost a noticeable share of a proxied call's CPU (see the overhead bench). Everything
 * else — the other routes, and chat requests this path does not take — goes to fastify as before.
 *
 * What fastify did for the route is kept: only `application/json` bodies are taken (anything
 * else, or a declared length over the limit, is left to fastify, which refuses it as before);
 * the body limit; an empty or invalid body is refused with fastify's own codes and messages, and
 * so is a body with `__proto__` or `constructor.prototype` keys (fastify's default
 * `onProtoPoisoning`/`onConstructorPoisoning: error`). Validation, the engine call and the answer
 * are the fastify route's own code (`chatHandler`).
 */
export function takeChatCompletions(
  server: Server,
  chat: ChatHandler,
  options: { bodyLimit: number; logger: Pick<Logger, 'error' | 'warn'> },
): void {
  type Listener = (req: IncomingMessage, res: ServerResponse) => void;
  const rest = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  const { bodyLimit, logger } = options;

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (takes(req, bodyLimit)) readJson(req, res, bodyLimit, chat, logger);
    else for (const l of rest) l.call(server, req, res);
  });
}

const PATH = '/v1/chat/completions';

function takes(req: IncomingMessage, bodyLimit: number): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url;
  if (url !== PATH && !(url?.startsWith(PATH) && url.charCodeAt(PATH.length) === 63 /* ? */))
    return false;
  const type = req.headers['content-type'];
  if (!type || !isJsonType(type)) return false;
  const length = req.headers['content-length'];
  return length === undefined || Number(length) <= bodyLimit;
}

/** `application/json`, with or without parameters (what fastify's JSON parser takes). */
function isJsonType(type: string): boolean {
  const t = type.length > 16 ? type.slice(0, 16) : type;
  if (t.toLowerCase() !== 'application/json') return false;
  const next = type.charCodeAt(16);
  return Number.isNaN(next) || next === 59 /* ; */ || next === 32; /* space */
}

/** fastify's errors, as its error handler hands them to ours. */
function fastifyError(code: string, message: string, statusCode: number): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

function readJson(
  req: IncomingMessage,
  res: ServerResponse,
  bodyLimit: number,
  chat: ChatHandler,
  logger: Pick<Logger, 'error' | 'warn'>,
): void {
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > bodyLimit) {
      tooLarge = true;
      first = more = undefined;
      return;
    }
    if (first === undefined) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  req.on('end', () => {
    if (tooLarge) {
      sendError(
        res,
        fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 'Request body is too large', 413),
        logger,
      );
      return;
    }
    const text = (more ? Buffer.concat(more) : (first ?? Buffer.alloc(0))).toString('utf8');
    if (text.length === 0) {
      sendError(
        res,
        fastifyError(
          'FST_ERR_CTP_EMPTY_JSON_BODY',
          "Body cannot be empty when content-type is set to 'application/json'",
          400,
        ),
        logger,
      );
      return;
    }
    const json = parseJson(text);
    if (json === INVALID) {
      sendError(
        res,
        fastifyError(
          'FST_ERR_CTP_INVALID_JSON_BODY',
          "Body is not valid JSON but content-type is set to 'application/json'",
          400,
        ),
        logger,
      );
      return;
    }
    void chat(req.headers, json, res, logger);
  });
  req.on('error', () => res.destroy());
}

const INVALID = Symbol('invalid JSON');

// secure-json-parse's screens (what fastify parses JSON bodies with): only a text that may hold
// such a key is walked.
const SUSPECT_PROTO =
  /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;
const SUSPECT_CONSTRUCTOR =
  /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return INVALID;
  }
  if (value === null || typeof value !== 'object') return value;
  if (!SUSPECT_PROTO.test(text) && !SUSPECT_CONSTRUCTOR.test(text)) return value;
  return poisoned(value) ? INVALID : value;
}

/** An own `__proto__` key, or a `constructor` object with a `prototype` key, anywhere. */
function poisoned(root: object): boolean {
  const stack: object[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()! as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(node, '__proto__')) return true;
    const ctor = Object.prototype.hasOwnProperty.call(node, 'constructor')
      ? node.constructor
      : undefined;
    if (
      ctor !== null &&
      typeof ctor === 'object' &&
      Object.prototype.hasOwnProperty.call(ctor, 'prototype')
    )
      return true;
    for (const key in node) {
      const v = node[key];
      if (v !== null && typeof v === 'object') stack.push(v);
    }
  }
  return false;
}
