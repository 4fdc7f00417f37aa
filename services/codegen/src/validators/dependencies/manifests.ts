import { parse as parseYaml } from 'yaml';
import type { SourceFile } from '../files.js';
import { basename, dirname, positionAt } from '../files.js';
import { normalizePyName } from './builtins.js';

/** One declared dependency, with where it was declared (for the finding's position). */
export interface Declared {
  name: string;
  /** Version range or specifier as written ('' when none). */
  spec: string;
  /** dependencies / devDependencies / requirements.txt / require … */
  section: string;
  file: string;
  line: number;
  column: number;
}

export interface NpmManifest {
  file: string;
  dir: string;
  name?: string;
  declared: Declared[];
  /** tsconfig-style path aliases are read elsewhere; workspaces make sibling packages local. */
  workspaces: string[];
}

export interface ParseProblem {
  file: string;
  message: string;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const NPM_SECTIONS = [
  'dependencies',
  'devDependencies',
  'peerDependencies',
  'optionalDependencies',
] as const;

export function parsePackageJson(file: SourceFile): NpmManifest | ParseProblem {
  let doc: unknown;
  try {
    doc = JSON.parse(file.content);
  } catch (err) {
    return {
      file: file.path,
      message: `package.json is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return { file: file.path, message: 'package.json is not an object' };
  const pkg = doc as Record<string, unknown>;
  const declared: Declared[] = [];
  for (const section of NPM_SECTIONS) {
    const deps = pkg[section];
    if (deps === undefined) continue;
    if (typeof deps !== 'object' || deps === null || Array.isArray(deps))
      return { file: file.path, message: `${section} must be an object` };
    for (const [name, spec] of Object.entries(deps as Record<string, unknown>)) {
      // The position of this key inside its section (the same name can appear in two sections).
      const sectionAt = file.content.search(new RegExp(`"${section}"\\s*:`));
      const rest = sectionAt >= 0 ? file.content.slice(sectionAt) : file.content;
      const m = new RegExp(`"${escapeRe(name)}"\\s*:`).exec(rest);
      const pos = positionAt(file.content, (sectionAt >= 0 ? sectionAt : 0) + (m ? m.index : 0));
      declared.push({
        name,
        spec: typeof spec === 'string' ? spec : String(spec),
        section,
        file: file.path,
        ...pos,
      });
    }
  }
  const ws = pkg['workspaces'];
  const workspaces = Array.isArray(ws)
    ? ws.map(String)
    : Array.isArray((ws as { packages?: unknown })?.packages)
      ? (ws as { packages: unknown[] }).packages.map(String)
      : [];
  return {
    file: file.path,
    dir: dirname(file.path),
    ...(typeof pkg['name'] === 'string' ? { name: pkg['name'] } : {}),
    declared,
    workspaces,
  };
}

/** Packages (and their locked versions) named by an npm, pnpm or yarn lock file. */
export function parseNpmLock(file: SourceFile): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (name: string, version?: string) => {
    if (!name) return;
    let set = out.get(name);
    if (!set) out.set(name, (set = new Set()));
    if (version) set.add(version);
  };
  const name = basename(file.path);
  try {
    if (name === 'package-lock.json' || name === 'npm-shrinkwrap.json') {
      const doc = JSON.parse(file.content) as {
        packages?: Record<string, { version?: string; name?: string; link?: boolean }>;
        dependencies?: Record<string, { version?: string }>;
      };
      for (const [key, entry] of Object.entries(doc.packages ?? {})) {
        const i = key.lastIndexOf('node_modules/');
        if (i < 0 || entry.link) continue;
        add(key.slice(i + 'node_modules/'.length), entry.version);
      }
      for (const [dep, entry] of Object.entries(doc.dependencies ?? {})) add(dep, entry.version);
    } else if (name === 'pnpm-lock.yaml') {
      const doc = parseYaml(file.content) as {
        packages?: Record<string, unknown>;
        importers?: Record<string, Record<string, Record<string, { version?: string } | string>>>;
      };
      for (const key of Object.keys(doc.packages ?? {})) {
        // '/name@1.2.3', 'name@1.2.3(peer@x)', '@scope/name@1.2.3'
        const m = /^\/?((?:@[^/@]+\/)?[^/@(]+)[@/]([^(/]+)/.exec(key);
        if (m) add(m[1]!, m[2]);
      }
      for (const importer of Object.values(doc.importers ?? {})) {
        for (const section of ['dependencies', 'devDependencies', 'optionalDependencies']) {
          for (const [dep, v] of Object.entries(importer[section] ?? {})) {
            const version = typeof v === 'string' ? v : v?.version;
            add(dep, version?.replace(/\(.*$/, ''));
          }
        }
      }
    } else if (name === 'yarn.lock') {
      let current: string[] = [];
      for (const line of file.content.split('\n')) {
        if (/^\S.*:\s*$/.test(line) && !line.startsWith('#') && !line.startsWith('__metadata')) {
          current = line
            .replace(/:\s*$/, '')
            .split(',')
            .map((s) => s.trim().replace(/^"|"$/g, ''))
            .map((s) => s.slice(0, s.indexOf('@', 1) > 0 ? s.indexOf('@', 1) : s.length));
          for (const dep of current) add(dep);
        } else {
          const v = /^\s+version:?\s+"?([^"\s]+)"?/.exec(line);
          if (v) for (const dep of current) add(dep, v[1]);
        }
      }
    }
  } catch {
    // An unreadable lock file vouches for nothing.
  }
  return out;
}

export interface PyManifest {
  file: string;
  declared: Declared[];
}

/** requirements*.txt: `name[extras] specifier ; markers`; options, URLs and paths are skipped. */
export function parseRequirements(file: SourceFile): PyManifest {
  const declared: Declared[] = [];
  const lines = file.content.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (
      !line ||
      line.startsWith('-') ||
      /^[a-z+]+:\/\//i.test(line) ||
      line.startsWith('.') ||
      line.startsWith('/')
    )
      return;
    if (/ @ /.test(line)) return; // PEP 508 direct reference: name @ url
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*)/.exec(line);
    if (!m) return;
    declared.push({
      name: m[1]!,
      spec: m[3]!.trim(),
      section: basename(file.path),
      file: file.path,
      line: i + 1,
      column: raw.indexOf(m[1]!) + 1,
    });
  });
  return { file: file.path, declared };
}

/** pyproject.toml: PEP 621 [project] dependencies / optional-dependencies, and Poetry tables. */
export function parsePyproject(file: SourceFile): PyManifest {
  const declared: Declared[] = [];
  const text = file.content;
  let table = '';
  const lines = text.split('\n');
  let inArray: string | undefined;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\s+#.*$/, '');
    const header = /^\s*\[\[?([^\]]+)\]\]?\s*$/.exec(line);
    if (header) {
      table = header[1]!.trim();
      inArray = undefined;
      return;
    }
    const push = (spec: string, col: number, section: string) => {
      const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*)/.exec(spec);
      if (m && !/ @ /.test(spec))
        declared.push({
          name: m[1]!,
          spec: m[3]!.trim(),
          section,
          file: file.path,
          line: i + 1,
          column: col + 1,
        });
    };
    const arrayStart = /^\s*([A-Za-z0-9_-]+)\s*=\s*\[(.*)$/.exec(line);
    const inDepsTable =
      table === 'project' ||
      table === 'project.optional-dependencies' ||
      table === 'dependency-groups';
    if (arrayStart && inDepsTable && (table !== 'project' || arrayStart[1] === 'dependencies')) {
      inArray = `${table}.${arrayStart[1]}`;
    }
    if (inArray) {
      const from = arrayStart ? line.indexOf('[') + 1 : 0;
      const segment = line.slice(from);
      for (const m of segment.matchAll(/"([^"]*)"|'([^']*)'/g))
        push(m[1] ?? m[2]!, from + m.index!, inArray);
      // "uvicorn[standard]" has brackets inside strings: only a bare ']' closes the array.
      if (segment.replace(/"[^"]*"|'[^']*'/g, '').includes(']')) inArray = undefined;
      return;
    }
    if (/^tool\.poetry\.(dependencies|dev-dependencies|group\.[^.]+\.dependencies)$/.test(table)) {
      const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*=\s*(.+)$/.exec(line);
      if (m && m[1]!.toLowerCase() !== 'python') {
        const value = m[2]!.trim();
        const version =
          /^["']([^"']*)["']/.exec(value)?.[1] ??
          /version\s*=\s*["']([^"']*)["']/.exec(value)?.[1] ??
          '';
        if (!/path\s*=|git\s*=|url\s*=/.test(value))
          declared.push({
            name: m[1]!,
            spec: version,
            section: table,
            file: file.path,
            line: i + 1,
            column: raw.indexOf(m[1]!) + 1,
          });
      }
    }
  });
  return { file: file.path, declared };
}

export function pyDeclaredNames(manifests: readonly PyManifest[]): Set<string> {
  return new Set(manifests.flatMap((m) => m.declared.map((d) => normalizePyName(d.name))));
}

export interface GoMod {
  file: string;
  dir: string;
  module?: string;
  declared: Declared[];
  /** Modules replaced by a local directory (nothing to look up). */
  localReplaces: Set<string>;
}

export function parseGoMod(file: SourceFile): GoMod {
  const declared: Declared[] = [];
  const localReplaces = new Set<string>();
  let module: string | undefined;
  let block: string | undefined;
  file.content.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) return;
    if (block) {
      if (line === ')') {
        block = undefined;
        return;
      }
      handle(block, line, raw, i);
      return;
    }
    const m = /^(module|require|replace|exclude|retract|go|toolchain)\s*(\(?)\s*(.*)$/.exec(line);
    if (!m) return;
    if (m[1] === 'module') module = m[3]!.replace(/"/g, '');
    else if (m[2] === '(') block = m[1];
    else handle(m[1]!, m[3]!, raw, i);
  });
  function handle(kind: string, line: string, raw: string, i: number) {
    const parts = line.split(/\s+/);
    if (kind === 'require' && parts[0] && parts[1]) {
      declared.push({
        name: parts[0],
        spec: parts[1],
        section: 'require',
        file: file.path,
        line: i + 1,
        column: raw.indexOf(parts[0]) + 1,
      });
    } else if (kind === 'replace') {
      const arrow = parts.indexOf('=>');
      const target = parts[arrow + 1];
      if (arrow > 0 && target && (target.startsWith('.') || target.startsWith('/')))
        localReplaces.add(parts[0]!);
    }
  }
  return {
    file: file.path,
    dir: dirname(file.path),
    ...(module ? { module } : {}),
    declared,
    localReplaces,
  };
}
