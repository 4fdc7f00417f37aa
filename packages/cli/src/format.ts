// Human-readable output of the CLI: what was understood, the estimate, the generation summary.
import type { ComplexityReport, Requirements, ValidationReport } from '@quantumlayer/codegen';

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

const esc = (code: number, close: number) => (s: string) => `\u001b[${code}m${s}\u001b[${close}m`;

/** ANSI styling on a terminal, plain text otherwise (NO_COLOR is honoured). */
export function styleFor(isTTY: boolean, env: NodeJS.ProcessEnv): Style {
  if (!isTTY || env['NO_COLOR'] !== undefined || env['TERM'] === 'dumb') {
    const id = (s: string) => s;
    return { bold: id, dim: id, green: id, red: id, yellow: id };
  }
  return {
    bold: esc(1, 22),
    dim: esc(2, 22),
    green: esc(32, 39),
    red: esc(31, 39),
    yellow: esc(33, 39),
  };
}

function fieldLine(f: Requirements['entities'][number]['fields'][number]): string {
  const flags = [f.required ? 'required' : '', f.unique ? 'unique' : ''].filter(Boolean);
  const type =
    f.type === 'enum' && f.enumValues.length ? `enum(${f.enumValues.join(', ')})` : f.type;
  return `${f.name}: ${type}${flags.length ? ` [${flags.join(', ')}]` : ''}`;
}

const RELATION: Record<Requirements['relations'][number]['kind'], string> = {
  has_many: 'has many',
  has_one: 'has one',
  many_to_many: 'many-to-many with',
};

export function formatAnalysis(r: Requirements, c: ComplexityReport, s: Style): string {
  const out: string[] = [];
  out.push(`${s.bold(r.title)} ${s.dim(`(${r.appName})`)}`);
  if (r.summary) out.push(r.summary);
  out.push('', s.bold(`Entities (${r.entities.length})`));
  for (const e of r.entities) {
    const low = e.confidence < 0.7 ? s.yellow(` (confidence ${e.confidence.toFixed(2)})`) : '';
    out.push(`  ${s.bold(e.name)}${low}`);
    for (const f of e.fields) out.push(`    - ${fieldLine(f)}`);
    const actions = e.operations.filter((o) => o.kind === 'action').map((o) => o.name);
    if (actions.length) out.push(s.dim(`    actions: ${actions.join(', ')}`));
  }
  if (r.relations.length) {
    out.push('', s.bold(`Relations (${r.relations.length})`));
    const plural = new Map(r.entities.map((e) => [e.name, e.pluralName]));
    for (const rel of r.relations) {
      const to = rel.kind === 'has_one' ? rel.to : (plural.get(rel.to) ?? rel.to);
      out.push(
        `  ${rel.from} ${RELATION[rel.kind]} ${to}${rel.through ? ` through ${plural.get(rel.through) ?? rel.through}` : ''}`,
      );
    }
  }
  out.push('', s.bold('Auth'));
  out.push(
    r.auth.enabled
      ? `  log-in required${r.auth.signup ? ', sign-up' : ''}${r.auth.roles.length ? `; roles: ${r.auth.roles.map((x) => x.name).join(', ')}` : ''}`
      : '  none asked for',
  );
  out.push('', s.bold(`Acceptance criteria (${r.acceptanceCriteria.length})`));
  for (const a of r.acceptanceCriteria.slice(0, 8)) out.push(`  ${a.id} ${a.title}`);
  if (r.acceptanceCriteria.length > 8)
    out.push(s.dim(`  … and ${r.acceptanceCriteria.length - 8} more (--json shows all)`));
  out.push('', s.bold('Estimate'));
  out.push(
    `  ${c.effort} · about ${c.estimatedFiles} files, ${c.estimatedLinesOfCode} lines · agent mode would use ~${Math.round(
      (c.agent.totalInputTokens + c.agent.totalOutputTokens) / 1000,
    )}k tokens`,
  );
  const warnings = r.notes.filter((n) => n.level === 'warning');
  if (warnings.length) {
    out.push('', s.bold(s.yellow(`Check these (${warnings.length})`)));
    for (const n of warnings) out.push(`  ! ${n.message}`);
  }
  return out.join('\n');
}

export function formatFindings(report: ValidationReport, s: Style, limit = 10): string[] {
  const findings = Object.values(report.checks)
    .flatMap((c) => c.findings)
    .filter((f) => f.severity !== 'info');
  const lines = findings.slice(0, limit).map((f) => {
    const where = f.file ? `${f.file}:${f.line}` : 'project';
    const sev =
      f.severity === 'high' || f.severity === 'critical' ? s.red(f.severity) : s.yellow(f.severity);
    return `    ${sev} ${f.ruleId} ${where} ${f.message}`;
  });
  if (findings.length > limit)
    lines.push(s.dim(`    … and ${findings.length - limit} more in the report`));
  return lines;
}
