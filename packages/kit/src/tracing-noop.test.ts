import { context, trace } from '@opentelemetry/api';
import { extractTraceContext, initTracing, injectTraceHeaders } from './tracing.js';

// Its own file: the OpenTelemetry globals can be registered once per process (per test file).
describe('tracing without exporters', () => {
  it('without exporters records nothing but still propagates an incoming trace', () => {
    const none = initTracing({ service: 'quiet' });
    expect(none.provider).toBeUndefined();
    const incoming = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const remote = extractTraceContext(incoming);
    const span = trace.getTracer('quiet').startSpan('work', {}, remote);
    expect(span.isRecording()).toBe(false);
    const outgoing = context.with(trace.setSpan(remote, span), () => injectTraceHeaders());
    expect(outgoing.traceparent).toContain('0af7651916cd43dd8448eb211c80319c');
  });
});
