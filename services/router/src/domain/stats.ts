/**
 * Live latency per model: exponentially weighted moving averages of the whole-call latency and
 * of the time to first token, which the speed and balanced policies rank on, plus a small ring
 * of recent latencies for the median that ListModels reports. Pure numbers; the engine feeds it.
 */
const RING = 64;

export class ModelLatency {
  latencyMs: number | undefined;
  ttftMs: number | undefined;
  samples = 0;
  private readonly ring = new Float64Array(RING);
  private ringSize = 0;
  private ringNext = 0;

  constructor(private readonly alpha: number) {}

  observe(latencyMs: number, ttftMs?: number): void {
    this.samples++;
    this.latencyMs =
      this.latencyMs === undefined
        ? latencyMs
        : this.latencyMs + this.alpha * (latencyMs - this.latencyMs);
    if (ttftMs !== undefined) {
      this.ttftMs =
        this.ttftMs === undefined ? ttftMs : this.ttftMs + this.alpha * (ttftMs - this.ttftMs);
    }
    this.ring[this.ringNext] = latencyMs;
    this.ringNext = (this.ringNext + 1) % RING;
    if (this.ringSize < RING) this.ringSize++;
  }

  /** Median of the recent latencies; 0 without samples. */
  p50(): number {
    if (this.ringSize === 0) return 0;
    const sorted = Array.from(this.ring.subarray(0, this.ringSize)).sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  }

  /** What the speed policy ranks on: TTFT for streams when known, else whole latency. */
  speedMs(stream: boolean): number | undefined {
    return stream ? (this.ttftMs ?? this.latencyMs) : this.latencyMs;
  }
}

export class LatencyBook {
  private readonly byModel = new Map<string, ModelLatency>();

  constructor(private readonly alpha: number) {}

  for(model: string): ModelLatency {
    let m = this.byModel.get(model);
    if (!m) {
      m = new ModelLatency(this.alpha);
      this.byModel.set(model, m);
    }
    return m;
  }

  peek(model: string): ModelLatency | undefined {
    return this.byModel.get(model);
  }
}
