// What an operator watches of the gate: runs by verdict and how long they take, what the sandbox
// had to stop, and what the QA agent's proposals came to.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { QualityReport } from './qualify.js';

/** Gate runs take from seconds (a small project) to many minutes (install + five test runs). */
const RUN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 2400];

export class QTestMetrics {
  private readonly runs: Counter<'verdict'>;
  private readonly duration: Histogram<'verdict'>;
  private readonly stops: Counter<'step' | 'by'>;
  private readonly generated: Counter<'outcome'>;
  private readonly healing: Counter<'class'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.runs = new Counter({
      name: 'ql_qtest_runs_total',
      help: 'Quality-gate runs, by verdict.',
      labelNames: ['verdict'],
      registers,
    });
    this.duration = new Histogram({
      name: 'ql_qtest_run_duration_seconds',
      help: 'Wall time of a quality-gate run (unpack, install, build, test runs, scan).',
      labelNames: ['verdict'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.stops = new Counter({
      name: 'ql_qtest_sandbox_stops_total',
      help: 'Steps the sandbox stopped at a limit, by step and limit.',
      labelNames: ['step', 'by'],
      registers,
    });
    this.generated = new Counter({
      name: 'ql_qtest_generated_tests_total',
      help: 'Tests the QA agent proposed, by what the TestGen-LLM filter made of them.',
      labelNames: ['outcome'],
      registers,
    });
    this.healing = new Counter({
      name: 'ql_qtest_failures_classified_total',
      help: 'Tests that passed in the previous round and fail now, by class.',
      labelNames: ['class'],
      registers,
    });
  }

  record(report: QualityReport): void {
    const s = report.summary;
    this.runs.inc({ verdict: s.verdict });
    this.duration.observe({ verdict: s.verdict }, s.durationMs / 1000);
    if (s.stopped) this.stops.inc({ step: s.stopped.step, by: s.stopped.by });
    if (report.generated) this.recordGenerated(report.generated);
    for (const c of report.healing?.classifications ?? []) this.healing.inc({ class: c.class });
  }

  recordGenerated(g: { kept: number; rejected: number }): void {
    if (g.kept) this.generated.inc({ outcome: 'kept' }, g.kept);
    if (g.rejected) this.generated.inc({ outcome: 'rejected' }, g.rejected);
  }
}
