import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ALERT_TESTS_FILE, ALERTS_FILE, alertRules, alertRuleTests, dashboardQueries } from './files.js';
import { promtool } from './promtool.js';

// deploy/observability/alerts.yml through promtool: the rules load, and their unit
// tests (alerts.test.yml) pass. Without promtool these tests fail, saying how to
// install it; they never skip.

const rules = alertRules();

describe('the alert rules (deploy/observability/alerts.yml)', () => {
  it('pass `promtool check rules`', () => {
    const run = promtool(['check', 'rules', ALERTS_FILE]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('pass their unit tests: `promtool test rules alerts.test.yml`', () => {
    const run = promtool(['test', 'rules', ALERT_TESTS_FILE]);
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
  });

  it.each(rules.map((rule) => [rule.alert, rule] as const))(
    '%s has a severity, a `for`, and a summary, a description and a runbook',
    (_name, rule) => {
      expect(['warning', 'critical']).toContain(rule.labels?.severity);
      expect(rule.for).toMatch(/^\d+[smh]$/);
      for (const annotation of ['summary', 'description', 'runbook']) {
        expect(rule.annotations?.[annotation]?.trim(), annotation).toBeTruthy();
      }
    },
  );

  it('every alert is unit-tested both firing and not firing, and every test names an alert that exists', () => {
    const tests = alertRuleTests();
    const names = rules.map((rule) => rule.alert);
    expect(tests.map((test) => test.alertname).filter((name) => !names.includes(name))).toEqual([]);
    const coverage = names.map((name) => {
      const own = tests.filter((test) => test.alertname === name);
      return {
        name,
        firing: own.some((test) => (test.exp_alerts ?? []).length > 0),
        notFiring: own.some((test) => (test.exp_alerts ?? []).length === 0),
      };
    });
    expect(coverage).toEqual(names.map((name) => ({ name, firing: true, notFiring: true })));
  });
});

describe('the dashboard queries (deploy/observability/breakwater-dashboard.json)', () => {
  it('are valid PromQL: promtool loads each one as a recording rule', () => {
    // Grafana's variables made concrete: intervals become a duration, $breaker/$pod a regex.
    const concrete = (expr: string) =>
      expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m').replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '.*');
    const queries = dashboardQueries();
    const file = {
      groups: [
        {
          name: 'dashboard',
          rules: queries.map((query, n) => ({
            record: `dashboard:query_${n}`,
            expr: concrete(query.expr),
            labels: { where: query.where },
          })),
        },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), 'breakwater-dashboard-'));
    try {
      const path = join(dir, 'dashboard-queries.yml');
      writeFileSync(path, stringify(file));
      const run = promtool(['check', 'rules', path]);
      expect(run.status, run.output).toBe(0);
      expect(run.output).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
