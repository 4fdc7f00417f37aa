// Field type inference from a field's words and the wording around it. The rules are ordered from
// the most to the least specific; each returns a confidence so that a guess ("photo" -> url) is
// shown as one. Documented in README.md of this folder.
import type { FieldType } from '../artifacts/index.js';
import { BOOLEAN_PHRASES, BOOLEAN_WORDS } from './lexicon.js';

export interface TypeHints {
  /** Values listed for the field ("status: draft, published"). */
  enumValues?: readonly string[];
  /** The wording says yes/no: "whether", "flag", "(yes/no)", "?". */
  boolean?: boolean;
  /** A type named in the text: "(date)", "as a number". */
  explicit?: FieldType;
  /** Unit given: "in minutes" -> time unit, "in kg" -> measure. */
  unit?: 'time' | 'measure' | 'money' | 'percent';
}

export interface InferredType {
  type: FieldType;
  confidence: number;
}

const MONEY = new Set([
  'price',
  'prices',
  'cost',
  'costs',
  'amount',
  'fee',
  'fees',
  'salary',
  'wage',
  'wages',
  'budget',
  'balance',
  'rent',
  'revenue',
  'subtotal',
  'deposit',
  'charge',
  'charges',
  'payment',
  'tip',
  'income',
  'expense',
  'spend',
  'turnover',
  'payout',
  'refund',
  'fare',
  'tuition',
  'premium',
  'commission',
  'bonus',
  'earnings',
  'profit',
  'fine',
  'rate',
  'total',
  'msrp',
  'valuation',
  'donation',
]);
/** "rate" is money only when per time unit ("hourly rate"); these make it a plain number. */
const NON_MONEY_RATE = new Set([
  'interest',
  'heart',
  'conversion',
  'tax',
  'exchange',
  'growth',
  'success',
  'error',
  'bit',
  'frame',
  'response',
  'click',
  'birth',
  'tax',
]);
const INTEGER_HEADS = new Set([
  'quantity',
  'qty',
  'count',
  'age',
  'year',
  'capacity',
  'seats',
  'pages',
  'floor',
  'floors',
  'rooms',
  'bedrooms',
  'bathrooms',
  'rank',
  'sets',
  'reps',
  'repetitions',
  'servings',
  'points',
  'votes',
  'views',
  'likes',
  'minutes',
  'seconds',
  'hours',
  'days',
  'weeks',
  'months',
  'years',
  'credits',
  'score',
  'goals',
  'wins',
  'losses',
  'draws',
  'copies',
  'stock',
  'headcount',
  'population',
  'version',
  'sequence',
  'duration',
  'interval',
  'mileage',
  'odometer',
  'calories',
  'stars',
  'attendees',
  'participants',
  'guests',
  'members',
  'players',
  'units',
  'items',
  'spaces',
  'spots',
  'slots',
  'tickets',
  'nights',
  'laps',
  'steps',
  'position',
  'order',
  'priority',
  'level',
  'size',
  'beds',
  'doors',
  'storeys',
  'stories',
]);
/** Words before "time" that make it a duration, not an instant. */
const DURATION_TIME = new Set([
  'prep',
  'preparation',
  'cooking',
  'cook',
  'baking',
  'bake',
  'lead',
  'response',
  'wait',
  'waiting',
  'travel',
  'total',
  'estimated',
  'running',
  'processing',
  'turnaround',
  'resolution',
  'screen',
  'reading',
  'play',
  'playing',
  'run',
  'down',
  'up',
  'transit',
]);
const NUMBER_HEADS = new Set([
  'rating',
  'weight',
  'height',
  'length',
  'width',
  'depth',
  'latitude',
  'longitude',
  'lat',
  'lng',
  'lon',
  'temperature',
  'percentage',
  'percent',
  'discount',
  'distance',
  'area',
  'gpa',
  'bmi',
  'volume',
  'speed',
  'ratio',
  'rate',
  'radius',
  'elevation',
  'altitude',
  'humidity',
  'pressure',
  'reading',
  'measurement',
  'dose',
  'dosage',
  'grade',
  'mark',
  'marks',
  'average',
  'accuracy',
  'probability',
  'budget hours',
  'estimate',
  'size',
]);
const DATE_WORDS = new Set([
  'date',
  'birthday',
  'birthdate',
  'dob',
  'deadline',
  'expiry',
  'expiration',
  'anniversary',
  'day',
]);
const DATETIME_WORDS = new Set(['timestamp', 'datetime', 'time', 'when', 'moment', 'instant']);
const URL_WORDS = new Set([
  'url',
  'link',
  'website',
  'homepage',
  'uri',
  'href',
  'site',
  'webpage',
  'permalink',
]);
const IMAGE_WORDS = new Set([
  'photo',
  'image',
  'picture',
  'avatar',
  'logo',
  'thumbnail',
  'icon',
  'banner',
  'screenshot',
  'attachment',
  'video',
  'audio',
  'file',
  'document',
  'pdf',
  'resume',
  'cv',
]);
const TEXT_WORDS = new Set([
  'name',
  'title',
  'description',
  'notes',
  'note',
  'address',
  'phone',
  'city',
  'country',
  'comment',
  'body',
  'content',
  'text',
  'bio',
  'summary',
  'message',
  'subject',
  'reason',
  'code',
  'sku',
  'isbn',
  'slug',
  'username',
  'brand',
  'make',
  'model',
  'breed',
  'species',
  'location',
  'venue',
  'origin',
  'destination',
  'industry',
  'specialty',
  'specialisation',
  'specialization',
  'department',
  'label',
  'question',
  'answer',
  'instructions',
  'ingredients',
  'diagnosis',
  'treatment',
  'flavor',
  'flavour',
  'caption',
  'author',
  'genre',
  'tags',
  'tag',
  'street',
  'zip',
  'postcode',
  'state',
  'region',
  'nationality',
  'occupation',
  'password',
  'plate',
  'vin',
  'id',
  'number',
  'reference',
  'remarks',
  'feedback',
  'symptoms',
  'allergies',
  'skills',
  'keywords',
  'publisher',
  'director',
  'artist',
  'album',
  'team',
  'room',
  'availability',
]);

function last<T>(xs: readonly T[]): T | undefined {
  return xs[xs.length - 1];
}

export function isBooleanPhrase(words: readonly string[]): boolean {
  const phrase = words.join(' ');
  if (words.length === 1 && BOOLEAN_WORDS.has(words[0]!)) return true;
  if (
    words.length >= 2 &&
    /^(?:is|has|can|allows?|needs?|was|requires?|accepts?)$/.test(words[0]!)
  ) {
    return true;
  }
  return BOOLEAN_PHRASES.some((re) => re.test(phrase));
}

/** Infers a field's type from its (lower-case) words and hints. */
export function inferFieldType(words: readonly string[], hints: TypeHints = {}): InferredType {
  const w = words.map((x) => x.toLowerCase());
  const head = last(w) ?? '';
  const first = w[0] ?? '';
  const phrase = w.join(' ');

  if (hints.enumValues !== undefined && hints.enumValues.length > 0) {
    return { type: 'enum', confidence: 0.95 };
  }
  if (hints.explicit !== undefined) return { type: hints.explicit, confidence: 0.95 };
  if (hints.boolean === true || isBooleanPhrase(w)) return { type: 'boolean', confidence: 0.9 };

  if (w.includes('email') || w.includes('e-mail')) return { type: 'email', confidence: 0.95 };
  if (URL_WORDS.has(head)) return { type: 'url', confidence: 0.9 };

  // "created at", "published at", "shipped at": instants. "assigned on": dates.
  if (w.length >= 2 && head === 'at') return { type: 'datetime', confidence: 0.9 };
  if (w.length >= 2 && head === 'on') return { type: 'date', confidence: 0.85 };
  if (phrase.includes('date and time') || phrase.includes('date time')) {
    return { type: 'datetime', confidence: 0.9 };
  }
  if (head === 'time' || head === 'times') {
    if (w.length >= 2 && DURATION_TIME.has(w[w.length - 2]!)) {
      return { type: 'integer', confidence: 0.7 };
    }
    return { type: 'datetime', confidence: 0.8 };
  }
  if (DATETIME_WORDS.has(head)) return { type: 'datetime', confidence: 0.85 };
  if (DATE_WORDS.has(head) || first === 'date' || w.includes('birth')) {
    return { type: 'date', confidence: 0.9 };
  }

  // Counts: "number of pages", "total spaces", "maximum attendees", "stock count".
  if (first === 'number' && w[1] === 'of') return { type: 'integer', confidence: 0.9 };
  if (first === 'no' && w[1] === 'of') return { type: 'integer', confidence: 0.85 };
  if (
    w.length >= 2 &&
    /^(?:total|max|maximum|min|minimum|num|expected|available|remaining|free)$/.test(first) &&
    /s$/.test(head) &&
    !MONEY.has(head)
  ) {
    return { type: 'integer', confidence: 0.85 };
  }

  if (hints.unit === 'money') return { type: 'money', confidence: 0.9 };
  const moneyWord =
    w.find((x) => MONEY.has(x) && x !== 'total') ?? (w.includes('total') ? 'total' : undefined);
  if (moneyWord !== undefined) {
    const rateIsMoney = moneyWord !== 'rate' || !w.some((x) => NON_MONEY_RATE.has(x));
    // "total" alone or with a money word is money; "total distance" is not.
    const totalOnly = moneyWord === 'total' && w.length > 1 && head !== 'total';
    const fineIsMoney = moneyWord !== 'fine' || head === 'fine';
    if (rateIsMoney && !totalOnly && fineIsMoney) {
      return {
        type: 'money',
        confidence: moneyWord === 'rate' || moneyWord === 'total' ? 0.75 : 0.9,
      };
    }
  }

  // "hours worked", "minutes played", "days absent": an amount of a unit.
  if (
    w.length >= 2 &&
    /^(?:hours|miles|km|kilometers|kilometres|kg|kilograms|litres|liters)$/.test(first)
  ) {
    return { type: 'number', confidence: 0.8 };
  }
  if (
    w.length >= 2 &&
    /^(?:minutes|seconds|days|weeks|months|years|nights|points|calories|steps|reps|goals)$/.test(
      first,
    )
  ) {
    return { type: 'integer', confidence: 0.8 };
  }
  if (hints.unit === 'time') return { type: 'integer', confidence: 0.85 };
  if (hints.unit === 'measure' || hints.unit === 'percent') {
    return { type: 'number', confidence: 0.85 };
  }
  if (head === 'year' || head === 'age') return { type: 'integer', confidence: 0.9 };
  if (NUMBER_HEADS.has(head) && !(head === 'size' || head === 'grade' || head === 'mark')) {
    return { type: 'number', confidence: 0.85 };
  }
  if (
    INTEGER_HEADS.has(head) &&
    !['position', 'order', 'priority', 'level', 'size'].includes(head)
  ) {
    return { type: 'integer', confidence: 0.8 };
  }
  if (head === 'position' || head === 'order' || first === 'sort') {
    return { type: 'integer', confidence: 0.6 };
  }
  if (first === 'quantity' || first === 'count') return { type: 'integer', confidence: 0.85 };

  if (
    IMAGE_WORDS.has(head) &&
    (head === 'photo' ||
      head === 'image' ||
      head === 'picture' ||
      head === 'avatar' ||
      head === 'logo' ||
      head === 'thumbnail')
  ) {
    return { type: 'url', confidence: 0.6 };
  }
  if (TEXT_WORDS.has(head)) return { type: 'text', confidence: 0.95 };
  return { type: 'text', confidence: 0.75 };
}
