/**
 * What a PromQL expression refers to: the metric names it selects (with the label
 * names of their matchers) and the label names its `by`, `without`, `on`,
 * `ignoring` and `group_left/right` clauses use. Function names, keywords,
 * strings, numbers, durations, ranges and Grafana variables are skipped. Enough
 * for the expressions of alerts.yml and the dashboard; it throws on what it does
 * not understand rather than guessing.
 */
export interface PromqlReferences {
  readonly selectors: readonly { readonly metric: string; readonly labels: readonly string[] }[];
  readonly groupingLabels: readonly string[];
}

const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan', 'start', 'end']);
/** Aggregation operators: a `by`/`without` clause may come between them and their `(`. */
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const IDENT = /[A-Za-z_:][A-Za-z0-9_:]*/y;
const LABEL = /[A-Za-z_][A-Za-z0-9_]*/y;
const MATCH_OP = /=~|!~|!=|=/y;
const NUMBER = /[0-9.]+(?:[eE][+-]?[0-9]+)?[A-Za-z0-9]*/y;

export function promqlReferences(expr: string): PromqlReferences {
  const selectors: { metric: string; labels: string[] }[] = [];
  const groupingLabels: string[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`cannot read ${JSON.stringify(expr)} at ${i}: ${what}`);
  };
  const skipSpace = () => {
    while (i < expr.length && /\s/.test(expr[i] as string)) i++;
  };
  const read = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = i;
    const match = pattern.exec(expr);
    if (!match) return undefined;
    i = pattern.lastIndex;
    return match[0];
  };
  const skipString = () => {
    const quote = expr[i];
    i++;
    while (i < expr.length && expr[i] !== quote) i += expr[i] === '\\' && quote !== '`' ? 2 : 1;
    if (i >= expr.length) fail('an unterminated string');
    i++;
  };
  /** `{a="x", b=~"y"}` → [a, b] */
  const readMatchers = (): string[] => {
    const labels: string[] = [];
    i++;
    for (;;) {
      skipSpace();
      if (expr[i] === '}') {
        i++;
        return labels;
      }
      labels.push(read(LABEL) ?? fail('a label name'));
      skipSpace();
      if (read(MATCH_OP) === undefined) fail('a matcher operator');
      skipSpace();
      if (!['"', "'", '`'].includes(expr[i] as string)) fail('a quoted label value');
      skipString();
      skipSpace();
      if (expr[i] === ',') i++;
    }
  };
  /** `(a, b)` → [a, b] */
  const readLabelList = (): string[] => {
    const labels: string[] = [];
    i++;
    for (;;) {
      skipSpace();
      if (expr[i] === ')') {
        i++;
        return labels;
      }
      labels.push(read(LABEL) ?? fail('a label name in a grouping clause'));
      skipSpace();
      if (expr[i] === ',') i++;
    }
  };

  while (i < expr.length) {
    const c = expr[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'" || c === '`') {
      skipString();
    } else if (c === '[') {
      // A range or subquery: durations and Grafana's $__rate_interval.
      const end = expr.indexOf(']', i);
      if (end < 0) fail('an unterminated range');
      i = end + 1;
    } else if (c === '{') {
      fail('a selector without a metric name');
    } else if (c === '$') {
      // A Grafana variable outside a string: $name or ${name}.
      i++;
      if (expr[i] === '{') {
        const end = expr.indexOf('}', i);
        if (end < 0) fail('an unterminated variable');
        i = end + 1;
      } else if (read(LABEL) === undefined) fail('a variable name');
    } else if (/[0-9.]/.test(c)) {
      read(NUMBER);
    } else if (/[A-Za-z_:]/.test(c)) {
      const word = read(IDENT) as string;
      skipSpace();
      if (GROUPING.has(word)) {
        if (expr[i] === '(') groupingLabels.push(...readLabelList());
      } else if (KEYWORDS.has(word.toLowerCase()) || AGGREGATIONS.has(word)) {
        // an operator, a modifier, or an aggregation (its clause and arguments follow)
      } else if (expr[i] === '(') {
        // a function or an aggregation: its arguments follow
      } else {
        selectors.push({ metric: word, labels: expr[i] === '{' ? readMatchers() : [] });
      }
    } else {
      i++; // operators, parentheses, commas
    }
  }
  return { selectors, groupingLabels };
}
