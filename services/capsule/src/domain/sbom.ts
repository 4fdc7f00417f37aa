// sbom.cdx.json: a CycloneDX 1.6 JSON SBOM of the project's npm lock file, built and serialized
// with the OWASP CycloneDX library (sorted lists, no timestamp, serial number derived from the
// content) so the same lock file always gives the same bytes.
import { createHash } from 'node:crypto';
import { Contrib, Enums, Models, Serialize, SPDX, Spec } from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import type { LockedPackage, NpmLock } from './lockfile.js';

export interface SbomSubject {
  app: { name: string; version: string };
  /** Parsed lock file; undefined: the project has none and the SBOM lists no packages. */
  lock?: NpmLock;
  /** sha256 hex of the lock file bytes (part of the serial number). */
  lockSha256?: string;
  /** The tool that built the SBOM. */
  tool: { name: string; version: string };
}

const NPM_REGISTRY = Contrib.FromNodePackageJson.Utils.defaultRegistryMatcher;

/** The purl of an npm package: pkg:npm/%40scope/name@version (+ download_url off-registry). */
export function npmPurl(name: string, version: string, resolved?: string): string {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  const namespace = slash === -1 ? undefined : name.slice(0, slash);
  const bare = slash === -1 ? name : name.slice(slash + 1);
  const qualifiers =
    resolved !== undefined && /^https?:/.test(resolved) && !NPM_REGISTRY.test(resolved)
      ? { download_url: resolved }
      : undefined;
  return new PackageURL('npm', namespace, bare, version, qualifiers, undefined).toString();
}

/** RFC 4122 version-5 UUID (SHA-1, name-based): a reproducible CycloneDX serial number. */
function uuidV5(name: string): string {
  // Namespace: the URL namespace of RFC 4122 (6ba7b811-9dad-11d1-80b4-00c04fd430c8).
  const ns = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');
  const hash = createHash('sha1').update(ns).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function licenseOf(value: string): Models.License {
  const id = SPDX.fixupSpdxId(value);
  if (id !== undefined) return new Models.SpdxLicense(id);
  if (/\s(OR|AND|WITH)\s/.test(value)) return new Models.LicenseExpression(value);
  return new Models.NamedLicense(value);
}

function component(first: LockedPackage, all: readonly LockedPackage[]): Models.Component {
  const purl = npmPurl(first.name, first.version, first.resolved);
  const slash = first.name.startsWith('@') ? first.name.indexOf('/') : -1;
  const c = new Models.Component(
    Enums.ComponentType.Library,
    slash === -1 ? first.name : first.name.slice(slash + 1),
    {
      bomRef: purl,
      purl,
      version: first.version,
      ...(slash === -1 ? {} : { group: first.name.slice(0, slash) }),
      scope: all.every((p) => p.optional) ? Enums.ComponentScope.Optional : undefined,
    },
  );
  for (const part of (first.integrity ?? '').split(/\s+/).filter(Boolean)) {
    try {
      const [algorithm, hex] = Contrib.FromNodePackageJson.Utils.parsePackageIntegrity(part);
      c.hashes.set(algorithm, hex);
    } catch {
      // An integrity value of an algorithm CycloneDX has no name for: keep it as a property.
      c.properties.add(new Models.Property('cdx:npm:package:integrity', part));
    }
  }
  if (first.resolved !== undefined && /^https?:/.test(first.resolved)) {
    c.externalReferences.add(
      new Models.ExternalReference(first.resolved, Enums.ExternalReferenceType.Distribution),
    );
  }
  if (first.license !== undefined) c.licenses.add(licenseOf(first.license));
  // CycloneDX npm property taxonomy: where the package is installed, and whether only for dev.
  for (const p of all) c.properties.add(new Models.Property('cdx:npm:package:path', p.path));
  if (all.every((p) => p.dev)) {
    c.properties.add(new Models.Property('cdx:npm:package:development', 'true'));
  }
  return c;
}

/** The SBOM document (JSON text, 2-space indented, trailing newline). */
export function buildSbom(subject: SbomSubject): string {
  const app = new Models.Component(Enums.ComponentType.Application, subject.app.name, {
    bomRef: `app:${subject.app.name}@${subject.app.version}`,
    version: subject.app.version,
  });
  const tool = new Models.Component(Enums.ComponentType.Application, subject.tool.name, {
    version: subject.tool.version,
  });
  const bom = new Models.Bom({
    serialNumber: `urn:uuid:${uuidV5(
      `quantumlayer-capsule:${subject.app.name}@${subject.app.version}:${subject.lockSha256 ?? 'no-lock-file'}`,
    )}`,
    metadata: new Models.Metadata({
      component: app,
      tools: new Models.Tools({ components: new Models.ComponentRepository([tool]) }),
    }),
  });

  // One component per package name and version; every install path is kept as a property.
  const byPurl = new Map<string, LockedPackage[]>();
  for (const p of subject.lock?.packages ?? []) {
    const key = npmPurl(p.name, p.version, p.resolved);
    const list = byPurl.get(key);
    if (list) list.push(p);
    else byPurl.set(key, [p]);
  }
  for (const list of byPurl.values()) {
    const c = component(list[0]!, list);
    bom.components.add(c);
    app.dependencies.add(c.bomRef);
  }

  const serializer = new Serialize.JsonSerializer(
    new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6),
  );
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}
