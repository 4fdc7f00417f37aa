import type { Behaviour, Matcher, RecordedRequest } from './types.js';

interface Entry {
  behaviour: Behaviour;
  match: Matcher | undefined;
  /** Remaining uses; Infinity for a standing rule. */
  left: number;
}

export function matches(match: Matcher | undefined, req: RecordedRequest): boolean {
  if (!match) return true;
  if (match.model !== undefined) {
    if (req.model === undefined) return false;
    if (typeof match.model === 'string' ? match.model !== req.model : !match.model.test(req.model))
      return false;
  }
  if (match.route !== undefined) {
    const routes = Array.isArray(match.route) ? match.route : [match.route];
    if (!routes.includes(req.route)) return false;
  }
  if (match.stream !== undefined && match.stream !== req.stream) return false;
  if (match.where && !match.where(req)) return false;
  return true;
}

/**
 * What a fake does next: first a one-shot queue (FIFO among the entries that match), then
 * standing rules (first match wins), then the default.
 */
export class Script {
  private queue: Entry[] = [];
  private rules: Entry[] = [];
  private fallback: Behaviour;
  private readonly initialDefault: Behaviour;

  constructor(defaultBehaviour: Behaviour = { kind: 'reply' }) {
    this.fallback = defaultBehaviour;
    this.initialDefault = defaultBehaviour;
  }

  /** Queue behaviours used once each, in order, by the next matching requests. */
  enqueue(behaviours: Behaviour[], match?: Matcher): void {
    for (const behaviour of behaviours) this.queue.push({ behaviour, match, left: 1 });
  }

  /** A standing rule: every matching request (or the next `times` ones) gets `behaviour`. */
  when(match: Matcher, behaviour: Behaviour, times = Infinity): () => void {
    const entry: Entry = { behaviour, match, left: times };
    this.rules.push(entry);
    return () => {
      const i = this.rules.indexOf(entry);
      if (i >= 0) this.rules.splice(i, 1);
    };
  }

  setDefault(behaviour: Behaviour): void {
    this.fallback = behaviour;
  }

  /** Queued one-shots not yet used. */
  get pending(): number {
    return this.queue.length;
  }

  reset(): void {
    this.queue = [];
    this.rules = [];
    this.fallback = this.initialDefault;
  }

  next(req: RecordedRequest): Behaviour {
    for (let i = 0; i < this.queue.length; i++) {
      const entry = this.queue[i]!;
      if (matches(entry.match, req)) {
        this.queue.splice(i, 1);
        return entry.behaviour;
      }
    }
    for (let i = 0; i < this.rules.length; i++) {
      const entry = this.rules[i]!;
      if (matches(entry.match, req)) {
        entry.left -= 1;
        if (entry.left <= 0) this.rules.splice(i, 1);
        return entry.behaviour;
      }
    }
    return this.fallback;
  }
}
