/**
 * Precision and recall of the rule-based requirements parser on the fixture descriptions
 * (services/codegen/test/fixtures/descriptions/*.json; held-out ones in ./held-out/). Matching
 * rules are in services/codegen/src/domain/requirements/evaluate.ts.
 *
 *   node --import tsx scripts/eval/parser.ts [--verbose] [--json] [--min 0.9]
 *
 * Exits 1 when entity or field precision or recall over all fixtures is below --min (0.90).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseRequirements } from '../../services/codegen/src/domain/requirements/index.js';
import {
  FixtureSchema,
  scoreRequirements,
  summarize,
} from '../../services/codegen/src/domain/requirements/evaluate.js';
import type {
  FixtureScore,
  Summary,
} from '../../services/codegen/src/domain/requirements/evaluate.js';

const root = resolve(process.argv[1] ?? '.', '../../..');
const dir = join(root, 'services/codegen/test/fixtures/descriptions');
const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const asJson = args.includes('--json');
const minIndex = args.indexOf('--min');
const min = minIndex >= 0 ? Number(args[minIndex + 1]) : 0.9;

interface Row {
  name: string;
  heldOut: boolean;
  score?: FixtureScore;
  error?: string;
}

function load(subdir: string, heldOut: boolean): Row[] {
  const path = join(dir, subdir);
  let files: string[];
  try {
    files = readdirSync(path)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
  return files.map((file) => {
    const name = `${subdir === '' ? '' : `${subdir}/`}${file.replace(/\.json$/, '')}`;
    const fixture = FixtureSchema.parse(JSON.parse(readFileSync(join(path, file), 'utf8')));
    try {
      const requirements = parseRequirements(fixture.description);
      return { name, heldOut, score: scoreRequirements(requirements, fixture.expected) };
    } catch (err) {
      return { name, heldOut, error: err instanceof Error ? err.message : String(err) };
    }
  });
}

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`.padStart(6);
}

function summaryOf(rows: Row[]): Summary {
  return summarize(
    rows.flatMap((r) => (r.score !== undefined ? [r.score] : [])),
    rows.filter((r) => r.error !== undefined).map((r) => r.name),
  );
}

function print(title: string, s: Summary): void {
  console.log(
    `\n${title} (${s.fixtures} fixtures${s.failed.length > 0 ? `, ${s.failed.length} failed to parse: ${s.failed.join(', ')}` : ''})`,
  );
  console.log(
    `  entities   precision ${pct(s.entities.precision)}  recall ${pct(s.entities.recall)}  (tp ${s.entities.tp}, fp ${s.entities.fp}, fn ${s.entities.fn})`,
  );
  console.log(
    `  fields     precision ${pct(s.fields.precision)}  recall ${pct(s.fields.recall)}  (tp ${s.fields.tp}, fp ${s.fields.fp}, fn ${s.fields.fn})`,
  );
  console.log(
    `  types      accuracy  ${pct(s.typeAccuracy)}  (of matched fields with an expected type)`,
  );
  console.log(
    `  relations  precision ${pct(s.relations.precision)}  recall ${pct(s.relations.recall)}  (reported, not gated)`,
  );
}

const rows = [...load('', false), ...load('held-out', true)];
const main = rows.filter((r) => !r.heldOut);
const heldOut = rows.filter((r) => r.heldOut);
const all = summaryOf(main);
const held = summaryOf(heldOut);

if (asJson) {
  console.log(JSON.stringify({ suite: all, heldOut: held }, null, 2));
} else {
  console.log('fixture                      entities P / R      fields P / R     types');
  for (const r of rows) {
    if (r.score === undefined) {
      console.log(`${r.name.padEnd(28)} ERROR ${r.error}`);
      continue;
    }
    const e = summarize([r.score]);
    console.log(
      `${r.name.padEnd(28)} ${pct(e.entities.precision)} / ${pct(e.entities.recall)}   ${pct(e.fields.precision)} / ${pct(e.fields.recall)}  ${pct(e.typeAccuracy)}`,
    );
    if (verbose) {
      const s = r.score;
      const lines = [
        ['missing entities', s.missingEntities],
        ['extra entities', s.extraEntities],
        ['missing fields', s.missingFields],
        ['extra fields', s.extraFields],
        ['wrong types', s.wrongTypes],
        ['missing relations', s.missingRelations],
        ['extra relations', s.extraRelations],
      ] as const;
      for (const [label, items] of lines)
        if (items.length > 0) console.log(`    ${label}: ${items.join(', ')}`);
    }
  }
  print('Suite', all);
  if (heldOut.length > 0) print('Held-out (written after the parser, not used to tune it)', held);
}

const gate = [all.entities.precision, all.entities.recall, all.fields.precision, all.fields.recall];
if (all.failed.length > 0 || gate.some((v) => v < min)) {
  console.error(
    `\nFAIL: entity/field precision and recall must each be >= ${(min * 100).toFixed(0)}%`,
  );
  process.exit(1);
}
