// Resolving a noun phrase to one of the known entities.
import { singularPhrase } from './words.js';

const GENERIC_HEADS = new Set([
  'name',
  'date',
  'time',
  'number',
  'type',
  'status',
  'code',
  'id',
  'title',
  'value',
  'amount',
  'price',
  'note',
  'description',
  'address',
  'email',
  'phone',
  'level',
  'count',
  'total',
]);

/** Finds the entity an item's words refer to: "the product", "a lot" (ParkingLot), "home team". */
export function matchEntity(
  words: readonly string[],
  entities: ReadonlyMap<string, readonly string[]>,
): string | undefined {
  if (words.length === 0) return undefined;
  const singular = singularPhrase(words);
  const key = singular.join(' ');
  if (entities.has(key)) return key;
  if (/^(?:number|total|max|maximum|min|minimum|count|num|expected|average)$/.test(words[0]!)) {
    return undefined;
  }
  if (words.length > 2) return undefined;
  const head = singular[singular.length - 1]!;
  // "name" does not mean the entity "volunteer name": field words only match exactly.
  if (singular.length === 1 && GENERIC_HEADS.has(head)) return undefined;
  const candidates = [...entities.entries()].filter(([, ews]) => {
    const eHead = ews[ews.length - 1];
    return eHead === head && (singular.length === 1 || ews.length === 1);
  });
  return candidates.length === 1 ? candidates[0]![0] : undefined;
}
