import { inferFieldType } from './fieldtypes.js';
import {
  camelCase,
  isPluralWord,
  pascalCase,
  pluralWord,
  singularWord,
  withArticle,
} from './words.js';

describe('inflection', () => {
  it.each([
    ['books', 'book'],
    ['categories', 'category'],
    ['people', 'person'],
    ['statuses', 'status'],
    ['addresses', 'address'],
    ['classes', 'class'],
    ['menus', 'menu'],
    ['children', 'child'],
    ['boxes', 'box'],
    ['replies', 'reply'],
    ['analyses', 'analysis'],
    ['status', 'status'],
    ['bus', 'bus'],
    ['staff', 'staff'],
    ['news', 'news'],
    ['series', 'series'],
  ])('%s -> %s', (plural, singular) => {
    expect(singularWord(plural)).toBe(singular);
  });

  it('pluralizes and tells plurals from look-alike singulars', () => {
    expect(['book', 'person', 'status', 'category', 'class', 'child'].map(pluralWord)).toEqual([
      'books',
      'people',
      'statuses',
      'categories',
      'classes',
      'children',
    ]);
    expect(['status', 'address', 'campus', 'analysis'].map(isPluralWord)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(['menus', 'buses', 'people', 'photos'].map(isPluralWord)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('makes identifiers', () => {
    expect(pascalCase(['order', 'item'])).toBe('OrderItem');
    expect(camelCase(['due', 'date'])).toBe('dueDate');
    expect(camelCase(['employee', 'ID'])).toBe('employeeId');
    expect(camelCase(['check-in', 'date'])).toBe('checkInDate');
    expect(camelCase(["driver's", 'license'])).toBe('driverLicense');
    expect(camelCase(['3d', 'model'])).toBe('n3dModel');
  });
});

describe('inferFieldType', () => {
  it.each([
    ['price', 'money'],
    ['total cost', 'money'],
    ['hourly rate', 'money'],
    ['interest rate', 'number'],
    ['total distance', 'number'],
    ['email', 'email'],
    ['contact email', 'email'],
    ['website', 'url'],
    ['due date', 'date'],
    ['date of birth', 'date'],
    ['assigned on', 'date'],
    ['created at', 'datetime'],
    ['timestamp', 'datetime'],
    ['start time', 'datetime'],
    ['prep time', 'integer'],
    ['is active', 'boolean'],
    ['available', 'boolean'],
    ['in stock', 'boolean'],
    ['quantity', 'integer'],
    ['stock count', 'integer'],
    ['number of pages', 'integer'],
    ['total spaces', 'integer'],
    ['age', 'integer'],
    ['year', 'integer'],
    ['rating', 'number'],
    ['weight', 'number'],
    ['hours worked', 'number'],
    ['phone number', 'text'],
    ['name', 'text'],
  ])('%s -> %s', (name, type) => {
    expect(inferFieldType(name.split(' ')).type).toBe(type);
  });

  it('lets hints win: enum values, yes/no, explicit types and units', () => {
    expect(inferFieldType(['status'], { enumValues: ['open', 'closed'] }).type).toBe('enum');
    expect(inferFieldType(['returned'], { boolean: true }).type).toBe('boolean');
    expect(inferFieldType(['score'], { explicit: 'number' }).type).toBe('number');
    expect(inferFieldType(['duration'], { unit: 'time' }).type).toBe('integer');
    expect(inferFieldType(['length'], { unit: 'measure' }).type).toBe('number');
  });

  it('is less sure of guesses than of clear names', () => {
    expect(inferFieldType(['photo']).confidence).toBeLessThan(inferFieldType(['price']).confidence);
    expect(inferFieldType(['gizmo']).confidence).toBeLessThan(inferFieldType(['title']).confidence);
  });
});

describe('withArticle', () => {
  it('chooses a or an by sound, as acceptance criteria are read by people', () => {
    const cases: [string, string][] = [
      ['book', 'a book'],
      ['order', 'an order'],
      ['ingredient', 'an ingredient'],
      ['user', 'a user'],
      ['unit', 'a unit'],
      ['umbrella', 'an umbrella'],
      ['hour', 'an hour'],
      ['one-off task', 'a one-off task'],
      ['url', 'a url'],
    ];
    for (const [word, expected] of cases) expect(withArticle(word)).toBe(expected);
  });
});
