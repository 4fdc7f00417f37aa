import type { CallerSignal } from '../engine/engine.js';

/**
 * The cancellation of one HTTP call: the client closing its connection before the answer.
 * It is what the engine needs of an `AbortSignal` and nothing more; on Node 20 making an
 * `AbortController`'s signal costs several µs per call, which every call paid for the rare one
 * whose client goes away.
 */
export class ClientGone implements CallerSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.listeners!.splice(i, 1);
  }

  /** Like `AbortController.abort`: once; every listener runs once, in order. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const l of listeners ?? []) l();
  }
}
