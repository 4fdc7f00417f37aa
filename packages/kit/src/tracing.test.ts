import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { currentTraceId, extractTraceContext, initTracing, injectTraceHeaders } from './tracing.js';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  const tracing = initTracing({
    service: 'test',
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  afterAll(() => tracing.shutdown());

  it('carries a span across a header map as W3C traceparent', () => {
    const tracer = trace.getTracer('test');
    const parent = tracer.startSpan('publish');
    const headers = context.with(trace.setSpan(context.active(), parent), () =>
      injectTraceHeaders(),
    );
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const remote = extractTraceContext(headers);
    const child = tracer.startSpan('consume', {}, remote);
    context.with(trace.setSpan(remote, child), () => {
      expect(currentTraceId()).toBe(parent.spanContext().traceId);
    });
    child.end();
    parent.end();
    const spans = exporter.getFinishedSpans();
    const consume = spans.find((s) => s.name === 'consume')!;
    expect(consume.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(consume.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(consume.resource.attributes['service.name']).toBe('test');
  });

  it('injects nothing without an active span', () => {
    expect(injectTraceHeaders()).toEqual({});
  });
});
