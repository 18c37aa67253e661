import { describe, expect, it } from 'vitest';
import { promqlReferences } from './promql.js';

// The reader metric-names.test.ts uses to find what the alerts and the dashboard query.

describe('promqlReferences', () => {
  it('finds metrics and their matchers, skips functions, keywords, strings, ranges and variables', () => {
    expect(
      promqlReferences(
        'histogram_quantile(0.99, sum by (le, store) (rate(a_seconds_bucket{breaker=~"$breaker", pod!="x,y}"}[$__rate_interval])))',
      ),
    ).toEqual({
      selectors: [{ metric: 'a_seconds_bucket', labels: ['breaker', 'pod'] }],
      groupingLabels: ['le', 'store'],
    });
    expect(
      promqlReferences(
        'sum by (breaker) (increase(p_total{result="granted"}[5m])) > 0 unless on (breaker) max(q offset 1h) > bool 2e3',
      ),
    ).toEqual({
      selectors: [
        { metric: 'p_total', labels: ['result'] },
        { metric: 'q', labels: [] },
      ],
      groupingLabels: ['breaker', 'breaker'],
    });
    expect(promqlReferences(`x > 5 and y == 1 or count without(instance)(z{a=\`b\`}) / \${scale}`)).toEqual({
      selectors: [
        { metric: 'x', labels: [] },
        { metric: 'y', labels: [] },
        { metric: 'z', labels: ['a'] },
      ],
      groupingLabels: ['instance'],
    });
  });

  it('refuses what it cannot read instead of guessing', () => {
    expect(() => promqlReferences('{__name__="x"}')).toThrow(/without a metric name/);
    expect(() => promqlReferences('x{a="b}')).toThrow(/unterminated string/);
  });
});
