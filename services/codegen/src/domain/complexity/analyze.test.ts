import { parseRequirements } from '../requirements/index.js';
import { ComplexityReportSchema } from '../artifacts/index.js';
import { analyzeComplexity, costUsdMicros, effortClass } from './index.js';

const small = parseRequirements('A todo app with tasks that have a title and a due date.');
const large = parseRequirements(
  'Customers sign up and log in. There are three roles: customer, seller and admin. Customers have a name and an email. ' +
    'Sellers have a shop name. Products have a name, a price, a stock count and a status (draft, active, retired). ' +
    'Each product belongs to a category. Categories have a name. Orders have a total and a status (placed, paid, shipped). ' +
    'Orders and products are many-to-many. Customers place orders. Sellers ship orders. Customers can review products; ' +
    'a review has a rating and a comment. Customers can search products by name and price. Admins can export orders. ' +
    'Pages must load within 300 ms. We must comply with GDPR. Payments have an amount and a paid at timestamp. ' +
    'Each payment belongs to an order. Coupons have a code (unique) and a discount. Customers can redeem coupons.',
);

describe('analyzeComplexity', () => {
  it('produces a valid report whose effort grows with the requirements', () => {
    const s = analyzeComplexity(small);
    const l = analyzeComplexity(large);
    expect(ComplexityReportSchema.parse(s)).toEqual(s);
    expect(s.effort).toBe('simple');
    expect(l.effort).toBe('complex');
    expect(l.score).toBeGreaterThan(s.score);
    expect(l.estimatedFiles).toBeGreaterThan(s.estimatedFiles);
    expect(l.estimatedLinesOfCode).toBeGreaterThan(s.estimatedLinesOfCode);
    expect(s.drivers.find((d) => d.name === 'entities')).toEqual({
      name: 'entities',
      value: 1,
      points: 3,
    });
  });

  it('estimates tokens for every agent phase, and no cost without prices', () => {
    const report = analyzeComplexity(small);
    expect(report.agent.phases.map((p) => p.phase)).toEqual([
      'project_manager',
      'architect',
      'developers',
      'database',
      'devops',
      'qa',
      'security',
      'reviewer',
    ]);
    for (const p of report.agent.phases) {
      expect(p.calls).toBeGreaterThan(0);
      expect(p.inputTokens).toBeGreaterThan(0);
      expect(p.outputTokens).toBeGreaterThan(0);
      expect(p.costUsdMicros).toBeUndefined();
    }
    expect(report.agent.totalInputTokens).toBe(
      report.agent.phases.reduce((n, p) => n + p.inputTokens, 0),
    );
    expect(report.agent.totalCostUsdMicros).toBeUndefined();
  });

  it('prices each phase at the given per-MTok prices, with per-phase overrides', () => {
    const pricing = {
      default: { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
      phases: { qa: { inputUsdPerMTok: 0.25, outputUsdPerMTok: 1.25 } },
    };
    const report = analyzeComplexity(large, { pricing });
    for (const p of report.agent.phases) {
      const price = p.phase === 'qa' ? pricing.phases.qa : pricing.default;
      expect(p.costUsdMicros).toBe(
        Math.ceil(p.inputTokens * price.inputUsdPerMTok + p.outputTokens * price.outputUsdPerMTok),
      );
    }
    expect(report.agent.totalCostUsdMicros).toBe(
      report.agent.phases.reduce((n, p) => n + p.costUsdMicros!, 0),
    );
  });

  it('rounds costs up to the micro-dollar and keeps them exact', () => {
    expect(costUsdMicros(1_000_000, 0, { inputUsdPerMTok: 3, outputUsdPerMTok: 15 })).toBe(
      3_000_000,
    );
    expect(costUsdMicros(1, 1, { inputUsdPerMTok: 0.075, outputUsdPerMTok: 0.3 })).toBe(1);
    expect(costUsdMicros(3, 0, { inputUsdPerMTok: 0.1, outputUsdPerMTok: 0 })).toBe(1);
    expect(costUsdMicros(0, 0, { inputUsdPerMTok: 3, outputUsdPerMTok: 15 })).toBe(0);
  });

  it('cuts the effort classes at the documented thresholds', () => {
    expect([0, 17.9, 18, 44.9, 45, 100].map(effortClass)).toEqual([
      'simple',
      'simple',
      'medium',
      'medium',
      'complex',
      'complex',
    ]);
  });
});
