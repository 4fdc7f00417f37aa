import type { Entity, Requirements } from '../artifacts/index.js';
import { RequirementsSchema } from '../artifacts/index.js';
import { DescriptionError, parseRequirements } from './index.js';

function entity(req: Requirements, name: string): Entity {
  const e = req.entities.find((x) => x.name === name);
  if (e === undefined)
    throw new Error(`no entity ${name} in ${req.entities.map((x) => x.name).join(', ')}`);
  return e;
}

/** "name:type" for every field of an entity. */
function fields(req: Requirements, name: string): string[] {
  return entity(req, name).fields.map((f) => `${f.name}:${f.type}`);
}

function names(req: Requirements): string[] {
  return req.entities.map((e) => e.name);
}

function relations(req: Requirements): string[] {
  return req.relations.map((r) => `${r.from} ${r.kind} ${r.to}`);
}

describe('parseRequirements: entities and fields', () => {
  it('reads "each X has ..." lists with articles and "and"', () => {
    const req = parseRequirements('Each book has a title, an author and a price.');
    expect(names(req)).toEqual(['Book']);
    expect(fields(req, 'Book')).toEqual(['title:text', 'author:text', 'price:money']);
  });

  it('reads "track X with Y", "with fields", "X: a, b" and "X (a, b)"', () => {
    expect(
      fields(parseRequirements('Track books with a title, an ISBN and a due date.'), 'Book'),
    ).toEqual(['title:text', 'isbn:text', 'dueDate:date']);
    expect(
      fields(parseRequirements('Projects with fields: name, deadline, budget.'), 'Project'),
    ).toEqual(['name:text', 'deadline:date', 'budget:money']);
    expect(fields(parseRequirements('Customer: name, email, website'), 'Customer')).toEqual([
      'name:text',
      'email:email',
      'website:url',
    ]);
    expect(fields(parseRequirements('customers (name, phone)'), 'Customer')).toEqual([
      'name:text',
      'phone:text',
    ]);
  });

  it('reads "the A, B and C of each X" and "for each X store ..."', () => {
    expect(
      fields(
        parseRequirements('The system stores the title, author and price of each book.'),
        'Book',
      ),
    ).toEqual(['title:text', 'author:text', 'price:money']);
    expect(
      fields(
        parseRequirements(
          'For each vehicle we store the plate number, the year and whether it is in service.',
        ),
        'Vehicle',
      ),
    ).toEqual(['plateNumber:text', 'year:integer', 'inService:boolean']);
  });

  it('reads "have", "has", "contains", "consists of" and relative clauses', () => {
    const req = parseRequirements(
      'A todo app with tasks that have a title and a done flag. A checklist contains several items. Items have a label.',
    );
    expect(fields(req, 'Task')).toEqual(['title:text', 'done:boolean']);
    expect(relations(req)).toContain('Checklist has_many Item');
  });

  it('singularizes and names multi-word entities and fields', () => {
    const req = parseRequirements(
      'Categories have a name. People have a first name and a date of birth. Order items have a quantity and a unit price.',
    );
    expect(names(req)).toEqual(['Category', 'Person', 'OrderItem']);
    expect(fields(req, 'Person')).toEqual(['firstName:text', 'dateOfBirth:date']);
    expect(fields(req, 'OrderItem')).toEqual(['quantity:integer', 'unitPrice:money']);
  });

  it('infers field types from names and wording', () => {
    const req = parseRequirements(
      'Each listing has a price, a cost, an email address, a due date, a created at timestamp, an updated at, ' +
        'an is active flag, whether it is available, a quantity, a view count, an age, a rating, a website, ' +
        'a link, a status: draft, published or archived, a prep time in minutes, a weight in kg, a number of rooms ' +
        'and a note.',
    );
    expect(fields(req, 'Listing')).toEqual([
      'price:money',
      'cost:money',
      'email:email',
      'dueDate:date',
      'createdAt:datetime',
      'updatedAt:datetime',
      'isActive:boolean',
      'available:boolean',
      'quantity:integer',
      'viewCount:integer',
      'age:integer',
      'rating:number',
      'website:url',
      'link:url',
      'status:enum',
      'prepTime:integer',
      'weight:number',
      'numberOfRooms:integer',
      'note:text',
    ]);
    expect(entity(req, 'Listing').fields.find((f) => f.name === 'status')!.enumValues).toEqual([
      'draft',
      'published',
      'archived',
    ]);
  });

  it('reads enum values in parentheses, after "which can be" and "of", and yes/no hints', () => {
    const req = parseRequirements(
      'A ticket has a priority of low, medium or high, a status which can be open, in progress or closed, ' +
        'a type (bug/feature) and a paid (yes/no) field.',
    );
    const t = entity(req, 'Ticket');
    expect(t.fields.map((f) => [f.name, f.type, f.enumValues])).toEqual([
      ['priority', 'enum', ['low', 'medium', 'high']],
      ['status', 'enum', ['open', 'in_progress', 'closed']],
      ['type', 'enum', ['bug', 'feature']],
      ['paid', 'boolean', []],
    ]);
  });

  it('reads required and unique hints', () => {
    const req = parseRequirements(
      'Each book must have a title. Books have an ISBN (unique), a SKU which must be unique and an optional subtitle. ' +
        'Members are identified by a unique card number. Emails must be unique. Members have an email.',
    );
    const book = entity(req, 'Book');
    expect(book.fields.map((f) => [f.name, f.required, f.unique])).toEqual([
      ['title', true, false],
      ['isbn', false, true],
      ['sku', false, true],
      ['subtitle', false, false],
    ]);
    expect(entity(req, 'Member').fields.map((f) => [f.name, f.unique])).toEqual([
      ['cardNumber', true],
      ['email', true],
    ]);
  });

  it('reads bullet lists under a header, and paragraphs', () => {
    const req = parseRequirements(
      'Inventory app.\n\nEach product has:\n- a name\n- a SKU (unique)\n- a price\n\nWarehouses\n- city\n- capacity\n\nEach product is stored in one warehouse.',
    );
    expect(fields(req, 'Product')).toEqual(['name:text', 'sku:text', 'price:money']);
    expect(fields(req, 'Warehouse')).toEqual(['city:text', 'capacity:integer']);
    expect(relations(req)).toEqual(['Warehouse has_many Product']);
  });

  it('reads user stories', () => {
    const req = parseRequirements(
      'As a librarian, I want to add books so that members can find them. As a member I want to borrow books. Books have a title.',
    );
    const ops = entity(req, 'Book').operations;
    expect(ops.find((o) => o.name === 'create')!.actors).toEqual(['librarian']);
    expect(ops.find((o) => o.name === 'borrow')).toMatchObject({
      kind: 'action',
      actors: ['member'],
    });
  });

  it('does not take parts of the app or people who only use it for records', () => {
    const req = parseRequirements(
      'The app has a dashboard. Users can create posts. Posts have a title. Visitors can search posts by title.',
    );
    expect(names(req)).toEqual(['Post']);
  });
});

describe('parseRequirements: relations', () => {
  it('reads has many, belongs to and a reference in a field list', () => {
    const req = parseRequirements(
      'Each author has many books. Books belong to a publisher. Each book has a title and an author. Publishers have a name. Authors have a name.',
    );
    expect(relations(req).sort()).toEqual(['Author has_many Book', 'Publisher has_many Book']);
    expect(fields(req, 'Book')).toEqual(['title:text']);
  });

  it('reads "a post has comments" and "each X has exactly one Y" (required)', () => {
    const req = parseRequirements(
      'A post has comments. Each comment has exactly one author. Comments have a body. Authors have a name.',
    );
    expect(relations(req)).toEqual(['Post has_many Comment', 'Author has_many Comment']);
    expect(req.relations.find((r) => r.from === 'Author')).toMatchObject({
      required: true,
      name: 'comments',
      inverseName: 'author',
    });
  });

  it('reads many-to-many from verbs, from both sides, and when stated', () => {
    expect(
      relations(parseRequirements('Students enroll in many courses. Courses have a title.')),
    ).toEqual(['Student many_to_many Course']);
    expect(
      relations(
        parseRequirements('An author can have multiple books and a book can have several authors.'),
      ),
    ).toEqual(['Author many_to_many Book']);
    expect(
      relations(
        parseRequirements(
          'Orders have a date. Products have a name. Orders and products are many-to-many.',
        ),
      ),
    ).toEqual(['Order many_to_many Product']);
  });

  it('names two links to the same entity after their roles', () => {
    const req = parseRequirements(
      'Matches are played between a home team and an away team on a date. Teams have a name.',
    );
    expect(req.relations.map((r) => `${r.from}.${r.name} / ${r.to}.${r.inverseName}`)).toEqual([
      'Team.homeTeamMatches / Match.homeTeam',
      'Team.awayTeamMatches / Match.awayTeam',
    ]);
    expect(fields(req, 'Match')).toEqual(['date:date']);
  });
});

describe('parseRequirements: operations, auth and other needs', () => {
  it('reads CRUD verb lists and custom actions with their actors', () => {
    const req = parseRequirements(
      'Users can create, edit and delete posts. Posts have a title. Members borrow books. Books have a title. Members have a name. Managers approve or reject loans. Loans have a due date.',
    );
    const post = entity(req, 'Post')
      .operations.filter((o) => o.confidence > 0.5)
      .map((o) => o.name);
    expect(post).toEqual(['create', 'update', 'delete']);
    expect(entity(req, 'Book').operations.find((o) => o.name === 'borrow')).toMatchObject({
      kind: 'action',
      actors: ['member'],
      target: 'Member',
    });
    expect(
      entity(req, 'Loan')
        .operations.filter((o) => o.kind === 'action')
        .map((o) => o.name),
    ).toEqual(['approve', 'reject']);
    // Every entity gets the CRUD operations, inferred ones with a lower confidence.
    for (const e of req.entities) {
      expect(e.operations.map((o) => o.name)).toEqual(
        expect.arrayContaining(['create', 'read', 'update', 'delete', 'list']),
      );
    }
    expect(entity(req, 'Book').operations.find((o) => o.name === 'create')!.confidence).toBe(0.5);
  });

  it('reads login, sign-up and roles', () => {
    const req = parseRequirements(
      'Users can sign up and log in. Posts have a title. Admins can delete any post. Only editors can publish posts.',
    );
    expect(req.auth).toMatchObject({ enabled: true, signup: true, defaultRole: 'user' });
    expect(req.auth.roles.map((r) => r.name).sort()).toEqual(['admin', 'editor', 'user']);
    const roles = parseRequirements(
      'There are three roles: student, instructor and admin. Courses have a title.',
    ).auth;
    expect(roles.enabled).toBe(true);
    expect(roles.roles.map((r) => r.name)).toEqual(['student', 'instructor', 'admin']);
    expect(parseRequirements('Books have a title.').auth.enabled).toBe(false);
  });

  it('uses the entity that logs in as the user entity', () => {
    const req = parseRequirements(
      'Customers have a name and an email. Customers sign up and log in. Orders have a total.',
    );
    expect(req.auth).toMatchObject({ enabled: true, signup: true, userEntity: 'Customer' });
  });

  it('reads non-functional needs and features', () => {
    const req = parseRequirements(
      'Properties have a city and a price. Visitors can search properties by city and price. Pages must load within 200 ms. We must comply with GDPR. It should be mobile friendly. Admins can export properties to CSV.',
    );
    expect([...new Set(req.nonFunctional.map((n) => n.category))].sort()).toEqual([
      'performance',
      'privacy',
      'usability',
    ]);
    expect(req.features.find((f) => f.kind === 'search')).toMatchObject({
      entity: 'Property',
      fields: ['city', 'price'],
    });
    expect(req.features.map((f) => f.kind)).toContain('export');
  });
});

describe('parseRequirements: document', () => {
  const req = parseRequirements(
    'A library app. Each book has a title, an ISBN (unique) and a status: available or lent. Members borrow books. Members have a name. Librarians log in.',
  );

  it('is valid against the Requirements schema', () => {
    expect(() => RequirementsSchema.parse(req)).not.toThrow();
    expect(req.origin).toEqual({ producer: 'rule_based', version: 'rule-based@1' });
  });

  it('derives an app name, a title and a summary', () => {
    expect(req.appName).toBe('library-app');
    expect(req.title).toBe('Library App');
    expect(req.summary).toMatch(/^Library App keeps books and members\./);
    expect(parseRequirements('Books have a title.', { appName: 'My Books' }).appName).toBe(
      'my-books',
    );
  });

  it('numbers Given/When/Then acceptance criteria, covering operations, validation, actions and auth', () => {
    const ids = req.acceptanceCriteria.map((c) => c.id);
    expect(ids[0]).toBe('AC-001');
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of req.acceptanceCriteria) {
      expect(c.given.length).toBeGreaterThan(0);
      expect(c.when.length).toBeGreaterThan(0);
      expect(c.then.length).toBeGreaterThan(0);
    }
    const about = (kind: string, entityName?: string, op?: string) =>
      req.acceptanceCriteria.filter(
        (c) =>
          c.kind === kind &&
          (entityName === undefined || c.entity === entityName) &&
          (op === undefined || c.operation === op),
      );
    expect(about('operation', 'Book', 'create')).toHaveLength(1);
    expect(about('validation', 'Book').map((c) => c.field)).toEqual(
      expect.arrayContaining(['isbn', 'status']),
    );
    expect(about('action', 'Book', 'borrow')).toHaveLength(1);
    expect(about('auth').length).toBeGreaterThan(0);
  });

  it('gives every item a confidence between 0 and 1', () => {
    const all = [
      req.confidence,
      ...req.entities.flatMap((e) => [
        e.confidence,
        ...e.fields.map((f) => f.confidence),
        ...e.operations.map((o) => o.confidence),
      ]),
      ...req.relations.map((r) => r.confidence),
      ...req.acceptanceCriteria.map((c) => c.confidence),
    ];
    for (const c of all) {
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(1);
    }
  });

  it('notes what it guessed', () => {
    const r = parseRequirements('Members borrow books. Books have a title and a status.');
    expect(r.notes.map((n) => n.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('No fields were described for Member'),
        expect.stringContaining('Book.status has no listed values'),
      ]),
    );
  });
});

describe('parseRequirements: bad input', () => {
  function error(description: string): DescriptionError {
    try {
      parseRequirements(description);
    } catch (err) {
      if (err instanceof DescriptionError) return err;
      throw err;
    }
    throw new Error('expected a DescriptionError');
  }

  it.each(['', '   \n\t '])('rejects an empty description (%j)', (d) => {
    const err = error(d);
    expect(err.code).toBe('empty');
    expect(err.message).toMatch(/^The description is empty\. Describe the app/);
  });

  it('rejects a description without words', () => {
    expect(error('!!! ??? 123 ...').code).toBe('unintelligible');
  });

  it('rejects gibberish and descriptions without anything to store, saying what to add', () => {
    const gibberish = error('asdf qwer zxcv');
    expect(gibberish.code).toBe('no_entities');
    expect(gibberish.message).toBe(
      "I found no thing to store. Describe the records your app keeps, e.g. 'Each book has a title and an author'.",
    );
    const vague = error(
      'I want an app that is fast and beautiful and works on mobile. Users can log in.',
    );
    expect(vague.code).toBe('no_entities');
    expect(vague.understood).toEqual(['users log in', 'performance and usability needs']);
    expect(vague.message).toBe(
      "I understood users log in and performance and usability needs, but I found no thing to store. Describe the records your app keeps, e.g. 'Each book has a title and an author'.",
    );
    expect(vague).toBeInstanceOf(Error);
    expect(vague.name).toBe('DescriptionError');
  });

  it('rejects a description over the size limit', () => {
    expect(error(`Books have a title. ${'x '.repeat(12000)}`).code).toBe('too_long');
  });
});

describe('parseRequirements: general phrasings (generalization batch)', () => {
  it('reads "X: a, b" and "X (a, b)" written as markdown tables', () => {
    const entityTable = parseRequirements(
      '| Entity | Fields |\n|---|---|\n| Book | title, author, price |\n| Member | name, email |',
    );
    expect(names(entityTable)).toEqual(['Book', 'Member']);
    expect(fields(entityTable, 'Book')).toEqual(['title:text', 'author:text', 'price:money']);
    const fieldTable = parseRequirements(
      '## Book\n| Field | Type | Notes |\n|---|---|---|\n| title | text | required |\n| published on | date | |\n\n## Author\n\n| Field | Type |\n|---|---|\n| name | text |\n| email | email |',
    );
    expect(names(fieldTable)).toEqual(['Book', 'Author']);
    expect(fields(fieldTable, 'Book')).toEqual(['title:text', 'publishedOn:date']);
    expect(entity(fieldTable, 'Book').fields[0]!.required).toBe(true);
    expect(fields(fieldTable, 'Author')).toEqual(['name:text', 'email:email']);
  });

  it('reads bullets written inline after a colon', () => {
    expect(
      fields(parseRequirements('Each book has: - a title - an author - a year'), 'Book'),
    ).toEqual(['title:text', 'author:text', 'year:integer']);
    const req = parseRequirements(
      'Books have: \u2022 title \u2022 author. Members have: \u2022 name \u2022 email',
    );
    expect(fields(req, 'Member')).toEqual(['name:text', 'email:email']);
  });

  it('reduces "the system should allow X to ..." and "let X ..." to "X can ..."', () => {
    const req = parseRequirements(
      'The system should allow teachers to create assignments with a title and a due date.',
    );
    expect(names(req)).toEqual(['Assignment']);
    expect(fields(req, 'Assignment')).toEqual(['title:text', 'dueDate:date']);
    expect(names(parseRequirements('It should let customers order cakes with a size.'))).toContain(
      'Cake',
    );
  });

  it('puts details of a verb-named record on that record ("submit an assignment with ...")', () => {
    const req = parseRequirements(
      'Teachers create assignments with a title. Students submit an assignment with a file link and a comment. Teachers grade submissions with a score.',
    );
    expect(fields(req, 'Assignment')).toEqual(['title:text']);
    expect(fields(req, 'Submission')).toEqual(['fileLink:url', 'comment:text', 'score:integer']);
    expect(relations(req)).toContain('Assignment has_many Submission');
  });

  it('gives gerund details (", choosing a reason (a, b) and adding photos") to the created record', () => {
    const req = parseRequirements(
      'Customers open a return request for an order, choosing a reason (damaged, wrong item) and adding photos. Orders have an order number.',
    );
    expect(names(req)).toEqual(['ReturnRequest', 'Order']);
    const reason = entity(req, 'ReturnRequest').fields.find((f) => f.name === 'reason')!;
    expect(reason.type).toBe('enum');
    expect(reason.enumValues).toEqual(['damaged', 'wrong_item']);
    expect(fields(req, 'ReturnRequest')).toContain('photos:text');
  });

  it('makes people who act on records with an unknown verb, or own them ("their"), entities', () => {
    const drones = parseRequirements(
      'Pilots fly missions; a mission has a start time. Each drone has a model. Every mission uses one drone.',
    );
    expect(names(drones)).toEqual(expect.arrayContaining(['Pilot', 'Mission', 'Drone']));
    expect(relations(drones)).toEqual(
      expect.arrayContaining(['Pilot has_many Mission', 'Drone has_many Mission']),
    );
    const canteen = parseRequirements(
      'Parents must can register their childs. For each child we keep name and allergies. Parents can see the payment history.',
    );
    expect(names(canteen)).toEqual(expect.arrayContaining(['Parent', 'Child', 'Payment']));
    expect(relations(canteen)).toContain('Parent has_many Child');
  });

  it('keeps people who only act and log in as roles, not entities', () => {
    const req = parseRequirements(
      'A ticket has a price. Buyers purchase tickets. Buyers and sellers log in with email and password.',
    );
    expect(names(req)).toEqual(['Ticket']);
    expect(req.auth.roles.map((r) => r.name)).toEqual(expect.arrayContaining(['buyer', 'seller']));
  });

  it('does not make entities of amounts, verb phrases, adverbs or a single note', () => {
    const req = parseRequirements(
      'It must handle thousands of users and be GDPR compliant. A poll has a question. An email can vote only once per poll. Staff inspect polls and write an inspection note. Our club needs an app.',
    );
    expect(names(req)).toEqual(['Poll']);
  });

  it('reads relation phrasings: "X and Y are linked", "tagged with", "be in many", "their Ys"', () => {
    expect(
      relations(
        parseRequirements(
          'Students and courses are linked. A student has a name. A course has a title.',
        ),
      ),
    ).toEqual(['Student many_to_many Course']);
    expect(
      relations(
        parseRequirements(
          'Articles can be tagged with tags. Each article has a headline. Tags have a label.',
        ),
      ),
    ).toEqual(['Article many_to_many Tag']);
    expect(
      relations(
        parseRequirements(
          'A playlist consists of many songs and a song can be in many playlists. Songs have a title. Playlists have a name.',
        ),
      ),
    ).toEqual(['Song many_to_many Playlist']);
    expect(
      relations(
        parseRequirements(
          'We need to keep track of customers and their orders. A customer has a name. An order has a total.',
        ),
      ),
    ).toEqual(['Customer has_many Order']);
  });

  it('reads number words and ranges as "many"', () => {
    const orders = parseRequirements(
      'Each order contains one or more order lines. An order line has a quantity.',
    );
    expect(relations(orders)).toEqual(['Order has_many OrderLine']);
    expect(fields(orders, 'Order')).toEqual([]);
    const projects = parseRequirements(
      'Projects have a name. Each project has three to five milestones. A milestone has a title.',
    );
    expect(fields(projects, 'Project')).toEqual(['name:text']);
    expect(relations(projects)).toEqual(['Project has_many Milestone']);
    const posts = parseRequirements(
      'Users post messages with up to 280 characters. Each message has a text.',
    );
    expect(names(posts)).toEqual(['Message']);
  });

  it('reads "I also <verb> ..." with the verb after the pronoun', () => {
    const req = parseRequirements(
      'For each record I want the artist and the year. I also lend records to friends.',
    );
    expect(names(req)).toEqual(['Record']);
    expect(fields(req, 'Record')).toEqual(['artist:text', 'year:integer']);
  });

  it('names a role from "X are admins" and never makes entities of pronouns or bare adjectives', () => {
    const req = parseRequirements(
      'A lending library. Each book has a title. Members have a name. Members log in; librarians are admins.',
    );
    expect(req.auth.roles.map((r) => r.name)).toEqual(['librarian', 'member']);
    expect(names(req)).toEqual(['Book', 'Member']);
    expect(() => parseRequirements('make it fast and pretty')).toThrow(/found no thing to store/);
  });
});
