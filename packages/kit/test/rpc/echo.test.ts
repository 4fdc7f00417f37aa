import { create, createFileRegistry } from '@bufbuild/protobuf';
import type { GenService } from '@bufbuild/protobuf/codegenv2';
import type { StringValueSchema } from '@bufbuild/protobuf/wkt';
import { file_google_protobuf_wrappers, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { credentials } from '@grpc/grpc-js';
import { GrpcReflection } from 'grpc-js-reflection-client';
import {
  Code,
  createGrpcClient,
  createGrpcServer,
  isRpcError,
  RpcError,
  type GrpcClient,
  type GrpcServer,
} from '../../src/rpc/index.js';
import { capturingLogger } from './support.js';

/**
 * Client-streaming and bidi calls, which no contract uses yet, over a service described at
 * runtime (the adapter needs nothing but a DescService). Its only import is a well-known file,
 * so reflection has to ship the dependency too.
 */
type EchoServiceDesc = GenService<{
  collect: {
    methodKind: 'client_streaming';
    input: typeof StringValueSchema;
    output: typeof StringValueSchema;
  };
  shout: {
    methodKind: 'bidi_streaming';
    input: typeof StringValueSchema;
    output: typeof StringValueSchema;
  };
}>;

const echoFile = create(FileDescriptorProtoSchema, {
  name: 'kit/test/v1/echo.proto',
  package: 'kit.test.v1',
  syntax: 'proto3',
  dependency: ['google/protobuf/wrappers.proto'],
  service: [
    {
      name: 'EchoService',
      method: [
        {
          name: 'Collect',
          inputType: '.google.protobuf.StringValue',
          outputType: '.google.protobuf.StringValue',
          clientStreaming: true,
        },
        {
          name: 'Shout',
          inputType: '.google.protobuf.StringValue',
          outputType: '.google.protobuf.StringValue',
          clientStreaming: true,
          serverStreaming: true,
        },
      ],
    },
  ],
});
const EchoService = createFileRegistry(echoFile, (name) =>
  name === 'google/protobuf/wrappers.proto' ? file_google_protobuf_wrappers : undefined,
).getService('kit.test.v1.EchoService') as EchoServiceDesc;

async function* strings(values: string[], failAfter?: number) {
  let i = 0;
  for (const value of values) {
    if (failAfter !== undefined && i++ === failAfter) throw new Error('source broke');
    yield { value };
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('client-streaming and bidi calls', () => {
  let server: GrpcServer;
  let address: string;
  let client: GrpcClient<EchoServiceDesc>;

  beforeAll(async () => {
    server = createGrpcServer({ logger: capturingLogger().logger });
    server.addService(EchoService, {
      async collect(requests) {
        const seen: string[] = [];
        for await (const r of requests) seen.push(r.value);
        if (seen.includes('bad')) throw RpcError.invalidArgument('value', 'must not be "bad"');
        return { value: seen.join(',') };
      },
      async *shout(requests) {
        for await (const r of requests) yield { value: r.value.toUpperCase() };
      },
    });
    address = `127.0.0.1:${await server.start({ host: '127.0.0.1', port: 0 })}`;
    client = createGrpcClient(EchoService, address, { defaultTimeoutMs: 5_000 });
  });

  afterAll(async () => {
    client.close();
    await server.shutdown(2_000);
  });

  test('client streaming gathers every request', async () => {
    const res = await client.collect(strings(['a', 'b', 'c']));
    expect(res.value).toBe('a,b,c');
  });

  test('client streaming surfaces a handler RpcError', async () => {
    const err = await client.collect(strings(['a', 'bad'])).catch((e: unknown) => e);
    expect(isRpcError(err) && err.code).toBe(Code.INVALID_ARGUMENT);
    expect((err as RpcError).message).toBe('value: must not be "bad"');
  });

  test('bidi streams answer each request', async () => {
    const out: string[] = [];
    for await (const r of client.shout(strings(['x', 'y', 'z']))) out.push(r.value);
    expect(out).toEqual(['X', 'Y', 'Z']);
  });

  test('a failing request source fails the call with its own error', async () => {
    const run = async () => {
      for await (const _ of client.shout(strings(['x', 'y', 'z'], 1))) {
        // drain
      }
    };
    await expect(run()).rejects.toThrow('source broke');
    await expect(client.collect(strings(['a', 'b'], 1))).rejects.toThrow('source broke');
  });

  test('reflection serves the runtime service with its imports', async () => {
    const reflection = new GrpcReflection(address, credentials.createInsecure(), {}, 'v1');
    expect(await reflection.listServices()).toContain('kit.test.v1.EchoService');
    const root = (
      await reflection.getDescriptorBySymbol('kit.test.v1.EchoService')
    ).getProtobufJsRoot();
    expect(root.lookupType('google.protobuf.StringValue')).toBeDefined();
    expect(root.lookupService('kit.test.v1.EchoService').methods.Shout?.requestStream).toBe(true);
  });
});
