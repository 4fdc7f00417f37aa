import { toBinary, type DescFile, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import type { ReflectionService } from '@grpc/reflection';

/** The proto-loader PackageDefinition that @grpc/reflection indexes. */
export type ReflectionPackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

/** Files in dependency order: every file after the files it imports. */
export function transitiveFiles(files: Iterable<DescFile>): DescFile[] {
  const seen = new Set<string>();
  const ordered: DescFile[] = [];
  const visit = (file: DescFile): void => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    for (const dep of file.dependencies) visit(dep);
    ordered.push(file);
  };
  for (const file of files) visit(file);
  return ordered;
}

export function encodeFileDescriptor(file: DescFile | FileDescriptorProto): Buffer {
  const bytes = toBinary(FileDescriptorProtoSchema, 'kind' in file ? file.proto : file);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * @grpc/reflection only reads `fileDescriptorProtos` from each entry (it indexes every file it
 * finds by name and symbol), so one entry per service carrying its file and the files it
 * imports is enough; protobuf-es already holds the compiled descriptors, so no .proto file has
 * to ship with the service.
 */
export function reflectionPackageDefinition(
  services: readonly DescService[],
): ReflectionPackageDefinition {
  // The format string is proto-loader's tag for a message entry; reflection ignores it and
  // `type`, but the PackageDefinition type only admits message, enum and service entries.
  const definition: ReflectionPackageDefinition = {};
  for (const service of services) {
    definition[service.typeName] = {
      format: 'Protocol Buffer 3 DescriptorProto',
      type: service.proto,
      fileDescriptorProtos: transitiveFiles([service.file]).map(encodeFileDescriptor),
    };
  }
  return definition;
}
