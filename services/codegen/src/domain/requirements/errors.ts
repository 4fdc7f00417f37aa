// The error a description gets when there is nothing to build from. It says what was understood
// and what to add, so that the CLI, the API and the UI can show it as is (INVALID_ARGUMENT / 400).

export type DescriptionErrorCode = 'empty' | 'too_long' | 'unintelligible' | 'no_entities';

export const EXAMPLE_DESCRIPTION =
  'Each book has a title, an author and a price. Members borrow books.';

export class DescriptionError extends Error {
  override readonly name = 'DescriptionError';

  constructor(
    readonly code: DescriptionErrorCode,
    message: string,
    /** What the parser did understand, one short phrase each (may be empty). */
    readonly understood: readonly string[] = [],
    /** What to add to the description. */
    readonly suggestion: string = `Describe the records your app keeps, e.g. '${EXAMPLE_DESCRIPTION}'`,
  ) {
    super(message);
  }
}
