// The stacks codegen can render, by id.
import type { StackTemplate } from './types.js';
import { tsFastify } from './ts-fastify/index.js';

export class UnknownStackError extends Error {
  override readonly name = 'UnknownStackError';
}

export class StackRegistry {
  private readonly stacks = new Map<string, StackTemplate>();

  constructor(stacks: readonly StackTemplate[] = []) {
    stacks.forEach((s) => this.register(s));
  }

  register(stack: StackTemplate): this {
    if (this.stacks.has(stack.id)) throw new Error(`stack "${stack.id}" is already registered`);
    this.stacks.set(stack.id, stack);
    return this;
  }

  get(id: string): StackTemplate {
    const stack = this.stacks.get(id);
    if (!stack) {
      throw new UnknownStackError(
        `unknown stack "${id}"; available: ${this.ids().join(', ') || 'none'}`,
      );
    }
    return stack;
  }

  has(id: string): boolean {
    return this.stacks.has(id);
  }

  ids(): string[] {
    return [...this.stacks.keys()].sort();
  }

  list(): StackTemplate[] {
    return this.ids().map((id) => this.stacks.get(id)!);
  }
}

export const DEFAULT_STACK = 'ts-fastify';

/** The stacks shipped with codegen. */
export function defaultStacks(): StackRegistry {
  return new StackRegistry([tsFastify]);
}
