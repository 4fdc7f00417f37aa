// What the interpreter reads from each statement, before anything is decided. Claims are
// collected over the whole description first, because whether "an author" is a text field or a
// link to another entity depends on whether authors are described anywhere else.
import type { FeatureKind, NonFunctionalCategory, OperationKind } from '../artifacts/index.js';
import type { Item } from './items.js';
import { singularPhrase } from './words.js';

/** How an entity was mentioned, strongest first. */
export type Strength = 'declared' | 'listed' | 'related' | 'created' | 'actor' | 'mentioned';
export const STRENGTH_RANK: Record<Strength, number> = {
  declared: 6,
  listed: 5,
  related: 4,
  created: 3,
  actor: 2,
  mentioned: 1,
};

export interface EntityClaim {
  key: string;
  words: string[];
  strength: Strength;
  order: number;
  source: string;
}

export interface AttributeClaim {
  entity: string;
  item: Item;
  source: string;
  /** How sure the wording makes us that the item belongs to the entity. */
  confidence: number;
}

export interface RelationClaim {
  kind: 'has_many' | 'has_one' | 'many_to_many';
  from: string;
  to: string;
  /** Words of the accessor on `to` ("home team"); default: the `from` entity's name. */
  inverseWords?: string[];
  /** Words of the accessor on `from`; default: the plural of `to`. */
  nameWords?: string[];
  required: boolean;
  confidence: number;
  source: string;
  /** Kept only when both entities exist for other reasons ("guests make reservations"). */
  conditional?: boolean;
}

export interface OperationClaim {
  entity: string;
  kind: OperationKind;
  name: string;
  actors: string[][];
  target?: string;
  confidence: number;
  source: string;
}

export interface FeatureClaim {
  kind: FeatureKind;
  entity?: string;
  fields: string[][];
  description: string;
  source: string;
}

export interface NfrClaim {
  category: NonFunctionalCategory;
  text: string;
  source: string;
}

export class Claims {
  readonly entities = new Map<string, EntityClaim>();
  readonly attributes: AttributeClaim[] = [];
  readonly relations: RelationClaim[] = [];
  readonly operations: OperationClaim[] = [];
  readonly features: FeatureClaim[] = [];
  /** "Emails must be unique": applies to every entity with such a field. */
  readonly constraints: {
    words: string[];
    unique?: boolean;
    required?: boolean;
    source: string;
  }[] = [];
  readonly nonFunctional: NfrClaim[] = [];
  readonly titles: { words: string[]; strength: number; order: number }[] = [];
  readonly notes: { level: 'info' | 'warning'; message: string; source: string }[] = [];
  readonly auth = {
    login: false,
    signup: false,
    loginSubjects: [] as string[][],
    roles: [] as { words: string[]; source: string; explicit: boolean }[],
    sources: [] as string[],
  };
  /** Statements at least one rule understood, by index. */
  readonly understood = new Set<number>();
  private counter = 0;

  /** @param aliases short names of entities ("lot" -> "parking lot"), found by a first pass. */
  constructor(private readonly aliases: ReadonlyMap<string, string> = new Map()) {}

  /** Claims an entity; returns its key (singular lower-case words). */
  entity(words: readonly string[], strength: Strength, source: string): string {
    let singular = singularPhrase(words);
    const alias = this.aliases.get(singular.join(' '));
    if (alias !== undefined) singular = alias.split(' ');
    const key = singular.join(' ');
    const existing = this.entities.get(key);
    if (existing === undefined) {
      this.entities.set(key, { key, words: singular, strength, order: this.counter++, source });
    } else if (STRENGTH_RANK[strength] > STRENGTH_RANK[existing.strength]) {
      existing.strength = strength;
      existing.source = source;
    }
    return key;
  }
}
