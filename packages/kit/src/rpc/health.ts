import { create, createFileRegistry, type Message } from '@bufbuild/protobuf';
import type { GenMessage, GenService } from '@bufbuild/protobuf/codegenv2';
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';

/**
 * grpc.health.v1 as a protobuf-es service, so the generic client can probe any server (the CLI,
 * readiness checks of dependencies) and reflection can describe it. Serving stays with
 * grpc-health-check; the shapes below are what protoc-gen-es would generate.
 */

export enum HealthCheckResponse_ServingStatus {
  UNKNOWN = 0,
  SERVING = 1,
  NOT_SERVING = 2,
  /** Used only by Watch. */
  SERVICE_UNKNOWN = 3,
}

export type HealthCheckRequest = Message<'grpc.health.v1.HealthCheckRequest'> & {
  /** '' asks about the server as a whole. */
  service: string;
};

export type HealthCheckResponse = Message<'grpc.health.v1.HealthCheckResponse'> & {
  status: HealthCheckResponse_ServingStatus;
};

export type HealthListRequest = Message<'grpc.health.v1.HealthListRequest'>;

export type HealthListResponse = Message<'grpc.health.v1.HealthListResponse'> & {
  statuses: { [service: string]: HealthCheckResponse };
};

export type HealthServiceDesc = GenService<{
  check: {
    methodKind: 'unary';
    input: GenMessage<HealthCheckRequest>;
    output: GenMessage<HealthCheckResponse>;
  };
  watch: {
    methodKind: 'server_streaming';
    input: GenMessage<HealthCheckRequest>;
    output: GenMessage<HealthCheckResponse>;
  };
  list: {
    methodKind: 'unary';
    input: GenMessage<HealthListRequest>;
    output: GenMessage<HealthListResponse>;
  };
}>;

export const HEALTH_SERVICE = 'grpc.health.v1.Health';

const TYPE_STRING = FieldDescriptorProto_Type.STRING;
const TYPE_MESSAGE = FieldDescriptorProto_Type.MESSAGE;
const TYPE_ENUM = FieldDescriptorProto_Type.ENUM;
const LABEL_OPTIONAL = FieldDescriptorProto_Label.OPTIONAL;
const LABEL_REPEATED = FieldDescriptorProto_Label.REPEATED;

/**
 * grpc/health/v1/health.proto as protoc describes it. grpc-health-check's own descriptor comes
 * from protobufjs, which names the file and map entry differently and leaves type names
 * unqualified; protobuf-es (and strict reflection clients) reject that, so the canonical form
 * is spelled out here. The proto is frozen upstream.
 */
export const healthFileDescriptor: FileDescriptorProto = create(FileDescriptorProtoSchema, {
  name: 'grpc/health/v1/health.proto',
  package: 'grpc.health.v1',
  syntax: 'proto3',
  messageType: [
    { name: 'HealthListRequest' },
    {
      name: 'HealthListResponse',
      field: [
        {
          name: 'statuses',
          jsonName: 'statuses',
          number: 1,
          label: LABEL_REPEATED,
          type: TYPE_MESSAGE,
          typeName: '.grpc.health.v1.HealthListResponse.StatusesEntry',
        },
      ],
      nestedType: [
        {
          name: 'StatusesEntry',
          field: [
            { name: 'key', jsonName: 'key', number: 1, label: LABEL_OPTIONAL, type: TYPE_STRING },
            {
              name: 'value',
              jsonName: 'value',
              number: 2,
              label: LABEL_OPTIONAL,
              type: TYPE_MESSAGE,
              typeName: '.grpc.health.v1.HealthCheckResponse',
            },
          ],
          options: { mapEntry: true },
        },
      ],
    },
    {
      name: 'HealthCheckRequest',
      field: [
        {
          name: 'service',
          jsonName: 'service',
          number: 1,
          label: LABEL_OPTIONAL,
          type: TYPE_STRING,
        },
      ],
    },
    {
      name: 'HealthCheckResponse',
      field: [
        {
          name: 'status',
          jsonName: 'status',
          number: 1,
          label: LABEL_OPTIONAL,
          type: TYPE_ENUM,
          typeName: '.grpc.health.v1.HealthCheckResponse.ServingStatus',
        },
      ],
      enumType: [
        {
          name: 'ServingStatus',
          value: [
            { name: 'UNKNOWN', number: 0 },
            { name: 'SERVING', number: 1 },
            { name: 'NOT_SERVING', number: 2 },
            { name: 'SERVICE_UNKNOWN', number: 3 },
          ],
        },
      ],
    },
  ],
  service: [
    {
      name: 'Health',
      method: [
        {
          name: 'Check',
          inputType: '.grpc.health.v1.HealthCheckRequest',
          outputType: '.grpc.health.v1.HealthCheckResponse',
        },
        {
          name: 'Watch',
          inputType: '.grpc.health.v1.HealthCheckRequest',
          outputType: '.grpc.health.v1.HealthCheckResponse',
          serverStreaming: true,
        },
        {
          name: 'List',
          inputType: '.grpc.health.v1.HealthListRequest',
          outputType: '.grpc.health.v1.HealthListResponse',
        },
      ],
    },
  ],
  options: {
    javaPackage: 'io.grpc.health.v1',
    javaOuterClassname: 'HealthProto',
    javaMultipleFiles: true,
    goPackage: 'google.golang.org/grpc/health/grpc_health_v1',
    csharpNamespace: 'Grpc.Health.V1',
  },
});

function loadHealthService(): HealthServiceDesc {
  const registry = createFileRegistry(healthFileDescriptor, () => undefined);
  const service = registry.getService(HEALTH_SERVICE);
  if (!service) throw new Error(`${HEALTH_SERVICE} missing from its descriptor`);
  // The shapes above mirror that descriptor field for field.
  return service as HealthServiceDesc;
}

export const HealthService: HealthServiceDesc = loadHealthService();
