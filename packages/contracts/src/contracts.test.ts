import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  CompleteRequestSchema,
  GenerationMode,
  GenerationRequestedSchema,
  PrincipalKind,
  ResponseFormatType,
  Role,
  RouterService,
  RoutingPolicy,
  ChatMessageSchema,
  EVENT_SCHEMAS,
  eventRegistry,
  file_quantumlayer_generation_v1_events,
  file_quantumlayer_usage_v1_events,
} from '@quantumlayer/contracts';

describe('contracts', () => {
  it('round-trips a GenerationRequested through the binary wire format', () => {
    const event = create(GenerationRequestedSchema, {
      generationId: '01JD0000000000000000000000',
      tenantId: 'tenant-1',
      description: 'A todo API with users and due dates',
      mode: GenerationMode.AGENT,
      stack: { language: 'typescript', framework: 'fastify', database: 'postgres' },
      options: { projectName: 'todo-api', maxRepairAttempts: 3, labels: { ticket: 'QL-1' } },
      requestedBy: { kind: PrincipalKind.USER, id: 'user-1' },
      budget: { maxCost: { usdMicros: 2_500_000n }, maxTotalTokens: 500_000 },
    });

    const decoded = fromBinary(
      GenerationRequestedSchema,
      toBinary(GenerationRequestedSchema, event),
    );

    expect(decoded).toEqual(event);
    expect(decoded.budget?.maxCost?.usdMicros).toBe(2_500_000n);
    expect(decoded.options?.labels).toEqual({ ticket: 'QL-1' });
  });

  it('round-trips a CompleteRequest, keeping explicit zero sampling values', () => {
    const request = create(CompleteRequestSchema, {
      input: {
        model: 'auto',
        messages: [
          create(ChatMessageSchema, {
            role: Role.SYSTEM,
            content: [{ part: { case: 'text', value: 'You are an architect.' } }],
          }),
          create(ChatMessageSchema, {
            role: Role.USER,
            content: [
              { part: { case: 'text', value: 'Design the data model.' } },
              { part: { case: 'imageUrl', value: { url: 'data:image/png;base64,AAAA' } } },
            ],
          }),
        ],
        tools: [
          {
            name: 'write_file',
            description: 'Write a file of the project',
            parametersJsonSchema: '{"type":"object","properties":{"path":{"type":"string"}}}',
          },
        ],
        responseFormat: { type: ResponseFormatType.JSON_OBJECT },
        sampling: { temperature: 0, maxTokens: 1024, stop: ['END'] },
        policy: RoutingPolicy.QUALITY,
        constraints: { needsTools: true, needsVision: true, maxCost: { usdMicros: 50_000n } },
        context: { tenantId: 'tenant-1', generationId: 'gen-1', caller: 'agent/architect' },
      },
    });

    const decoded = fromBinary(CompleteRequestSchema, toBinary(CompleteRequestSchema, request));

    expect(decoded).toEqual(request);
    // proto3 `optional`: 0 survives the wire and stays distinguishable from "unset".
    expect(decoded.input?.sampling?.temperature).toBe(0);
    expect(decoded.input?.sampling?.topP).toBeUndefined();
  });

  it('describes RouterService with its four methods and their kinds', () => {
    expect(RouterService.typeName).toBe('quantumlayer.router.v1.RouterService');
    const kinds = Object.fromEntries(RouterService.methods.map((m) => [m.name, m.methodKind]));
    expect(kinds).toEqual({
      Complete: 'unary',
      StreamComplete: 'server_streaming',
      Embed: 'unary',
      ListModels: 'unary',
    });
    expect(RouterService.method.streamComplete.input.typeName).toBe(
      'quantumlayer.router.v1.StreamCompleteRequest',
    );
  });

  it('lists every event message, each carrying generation_id and tenant_id', () => {
    const declared = [
      ...file_quantumlayer_generation_v1_events.messages,
      ...file_quantumlayer_usage_v1_events.messages,
    ].map((m) => m.typeName);
    expect(EVENT_SCHEMAS.map((m) => m.typeName).sort()).toEqual(declared.sort());

    for (const schema of EVENT_SCHEMAS) {
      expect(eventRegistry.getMessage(schema.typeName)).toBe(schema);
      expect(schema.field.generationId?.fieldKind).toBe('scalar');
      expect(schema.field.tenantId?.fieldKind).toBe('scalar');
    }
    // Generation events put the routing keys first, so any consumer can read them blind.
    for (const schema of file_quantumlayer_generation_v1_events.messages) {
      expect(schema.fields.slice(0, 2).map((f) => [f.number, f.name])).toEqual([
        [1, 'generation_id'],
        [2, 'tenant_id'],
      ]);
    }
    expect(eventRegistry.getMessage(CompleteRequestSchema.typeName)).toBeUndefined();
  });
});
