// Rendering with Eta (a maintained, dependency-free template engine). Templates are logic-light:
// the data they get is prepared in TypeScript (a "view"), and they only loop, branch on flags and
// interpolate. Output is not escaped (this is source code, not HTML); values that end up inside
// string literals are passed through `q()` (JSON quoting) by the templates.
import { Eta } from 'eta';

export interface TemplateSource {
  /** Path of the template inside its stack, e.g. "src/app.ts.eta". */
  name: string;
  content: string;
}

export class TemplateEngine {
  private readonly eta: Eta;
  private readonly names: Set<string>;

  constructor(templates: Readonly<Record<string, string>>) {
    this.eta = new Eta({
      autoEscape: false,
      // No implicit trimming: control lines trim themselves with `<%_ ... -%>`, so what is
      // rendered is exactly what the template shows.
      autoTrim: false,
      cache: true,
      useWith: false,
      varName: 'it',
    });
    this.names = new Set(Object.keys(templates));
    for (const [name, content] of Object.entries(templates)) {
      this.eta.loadTemplate(`@${name}`, content);
    }
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  render(name: string, data: object): string {
    if (!this.names.has(name)) throw new Error(`unknown template "${name}"`);
    return this.eta.render(`@${name}`, data);
  }
}

/** JSON quoting for values interpolated into generated code (strings, numbers, arrays, objects). */
export function q(value: unknown): string {
  return JSON.stringify(value);
}
