import type { Cancellation } from '../providers/types.js';

/**
 * What the engine needs of the caller's cancellation: an `AbortSignal` (gRPC) fits, and so does
 * the lighter `CancelSignal` below, which costs nothing until it is used.
 */
export interface CallerSignal extends Cancellation {
  readonly reason: unknown;
}

/**
 * A cancellation with what the engine uses of an `AbortSignal` and nothing more: on Node 20
 * making an `AbortController`'s signal and listening to it costs several µs, which every call
 * paid for the rare one that is cancelled. The HTTP API's "client closed the connection" and
 * each attempt's guard are this.
 */
export class CancelSignal implements CallerSignal {
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
