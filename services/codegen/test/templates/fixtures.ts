// Requirements written by hand for the blueprint and template tests: varied on purpose (auth with
// roles, every field type, has-many, has-one, self-reference, plain and `through` many-to-many,
// custom actions with and without a target or an effect, an entity without fields). Their
// acceptance criteria come from the requirements parser's own generator, so they are worded the
// way blueprint mode words them.
import type { Requirements, RequirementsInput } from '../../src/domain/artifacts/index.js';
import { RequirementsSchema } from '../../src/domain/artifacts/index.js';
import { acceptanceCriteria } from '../../src/domain/requirements/index.js';

type Draft = Omit<
  RequirementsInput,
  'schemaVersion' | 'acceptanceCriteria' | 'origin' | 'confidence' | 'description' | 'summary'
> &
  Partial<Pick<RequirementsInput, 'summary'>>;

const CRUD = [
  { kind: 'create', name: 'create' },
  { kind: 'read', name: 'read' },
  { kind: 'update', name: 'update' },
  { kind: 'delete', name: 'delete' },
  { kind: 'list', name: 'list' },
] as const;

/** Completes a draft: defaults, then the acceptance criteria the parser would generate. */
export function requirementsOf(draft: Draft): Requirements {
  const base = RequirementsSchema.parse({
    schemaVersion: 1,
    summary: '',
    description: '',
    acceptanceCriteria: [],
    origin: { producer: 'rule_based', version: 'test' },
    confidence: 1,
    ...draft,
  });
  return RequirementsSchema.parse({
    ...base,
    acceptanceCriteria: acceptanceCriteria(base.entities, base.relations, base.auth, base.features),
  });
}

/** Auth with roles and sign-up, every field type, has-many, custom actions (one with an effect). */
export const libraryWithAuth: Requirements = requirementsOf({
  appName: 'lending-library',
  title: 'Lending Library',
  summary: 'Librarians keep books and authors; members borrow books.',
  entities: [
    {
      name: 'Author',
      pluralName: 'Authors',
      fields: [
        { name: 'name', type: 'text', required: true },
        { name: 'email', type: 'email', unique: true },
        { name: 'website', type: 'url' },
      ],
      operations: [...CRUD],
    },
    {
      name: 'Book',
      pluralName: 'Books',
      fields: [
        { name: 'title', type: 'text', required: true },
        { name: 'isbn', type: 'text', unique: true },
        { name: 'price', type: 'money' },
        { name: 'pages', type: 'integer' },
        { name: 'rating', type: 'number' },
        { name: 'status', type: 'enum', enumValues: ['available', 'on_loan', 'lost'] },
        { name: 'publishedOn', type: 'date' },
        { name: 'lastCheckedAt', type: 'datetime' },
        { name: 'featured', type: 'boolean' },
      ],
      operations: [
        { kind: 'create', name: 'create', actors: ['librarian'] },
        { kind: 'read', name: 'read' },
        { kind: 'update', name: 'update' },
        { kind: 'delete', name: 'delete', actors: ['librarian'] },
        { kind: 'list', name: 'list' },
        { kind: 'action', name: 'borrow', actors: ['member'], target: 'Member' },
        { kind: 'action', name: 'lose' },
      ],
    },
    {
      name: 'Member',
      pluralName: 'Members',
      fields: [
        { name: 'name', type: 'text', required: true },
        { name: 'email', type: 'email', required: true, unique: true },
        { name: 'joinedOn', type: 'date' },
      ],
      operations: [...CRUD],
    },
  ],
  relations: [
    {
      kind: 'has_many',
      from: 'Author',
      to: 'Book',
      name: 'books',
      inverseName: 'author',
      required: true,
    },
  ],
  auth: {
    enabled: true,
    signup: true,
    roles: [{ name: 'librarian' }, { name: 'member' }],
    defaultRole: 'member',
  },
  features: [{ kind: 'search', entity: 'Book', fields: ['title'] }],
});

/**
 * No auth; many-to-many plain (Product–Category) and through an entity (Order–Product through
 * OrderLine), has-one (Order–Invoice), a self-reference (Category parent), an action that sets a
 * status (ship -> shipped), an entity without fields (Tag).
 */
export const shopManyToMany: Requirements = requirementsOf({
  appName: 'corner-shop',
  title: 'Corner Shop',
  entities: [
    {
      name: 'Product',
      pluralName: 'Products',
      fields: [
        { name: 'name', type: 'text', required: true },
        { name: 'sku', type: 'text', required: true, unique: true },
        { name: 'price', type: 'money', required: true },
        { name: 'inStock', type: 'boolean' },
      ],
      operations: [...CRUD],
    },
    {
      name: 'Category',
      pluralName: 'Categories',
      fields: [{ name: 'name', type: 'text', required: true, unique: true }],
      operations: [...CRUD],
    },
    {
      name: 'Order',
      pluralName: 'Orders',
      fields: [
        { name: 'placedAt', type: 'datetime', required: true },
        { name: 'status', type: 'enum', enumValues: ['pending', 'shipped', 'delivered'] },
        { name: 'customerEmail', type: 'email' },
      ],
      operations: [...CRUD, { kind: 'action', name: 'ship' }],
    },
    {
      name: 'OrderLine',
      pluralName: 'OrderLines',
      fields: [{ name: 'quantity', type: 'integer', required: true }],
      operations: [...CRUD],
    },
    {
      name: 'Invoice',
      pluralName: 'Invoices',
      fields: [
        { name: 'number', type: 'text', required: true, unique: true },
        { name: 'amount', type: 'money' },
      ],
      operations: [...CRUD],
    },
    { name: 'Tag', pluralName: 'Tags', fields: [], operations: [...CRUD] },
  ],
  relations: [
    {
      kind: 'many_to_many',
      from: 'Product',
      to: 'Category',
      name: 'categories',
      inverseName: 'products',
    },
    {
      kind: 'many_to_many',
      from: 'Order',
      to: 'Product',
      name: 'products',
      inverseName: 'orders',
      through: 'OrderLine',
    },
    {
      kind: 'has_one',
      from: 'Order',
      to: 'Invoice',
      name: 'invoice',
      inverseName: 'order',
      required: true,
    },
    { kind: 'has_many', from: 'Category', to: 'Category', name: 'children', inverseName: 'parent' },
    { kind: 'many_to_many', from: 'Product', to: 'Tag', name: 'tags', inverseName: 'products' },
  ],
  auth: { enabled: false },
});

/** A plain-English description for the parser-to-project path. */
export const COURSES_DESCRIPTION =
  'A course platform. Students enroll in many courses and each course has many students. ' +
  'Each course has a title (required), a price and a level (beginner, intermediate or advanced). ' +
  'Students have a name and a unique email. Teachers log in; only teachers can publish courses. ' +
  'Courses can be searched by title.';
