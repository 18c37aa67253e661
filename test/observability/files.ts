import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** deploy/observability/, where the dashboard and the alert rules live. */
export const OBSERVABILITY_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../deploy/observability');
export const ALERTS_FILE = join(OBSERVABILITY_DIR, 'alerts.yml');
export const ALERT_TESTS_FILE = join(OBSERVABILITY_DIR, 'alerts.test.yml');
export const DASHBOARD_FILE = join(OBSERVABILITY_DIR, 'breakwater-dashboard.json');

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface AlertRuleTest {
  readonly eval_time: string;
  readonly alertname: string;
  readonly exp_alerts?: readonly unknown[] | null;
}

export interface DashboardTarget {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat?: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}

export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly DashboardTarget[];
  readonly panels?: readonly DashboardPanel[];
  readonly fieldConfig?: {
    readonly defaults?: {
      readonly mappings?: readonly { readonly type: string; readonly options: Record<string, { text: string }> }[];
    };
  };
}

export interface DashboardVariable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query: string };
  readonly definition?: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly DashboardPanel[];
  readonly templating: { readonly list: readonly DashboardVariable[] };
}

export function alertRules(): AlertRule[] {
  const file = parse(readFileSync(ALERTS_FILE, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

export function alertRuleTests(): AlertRuleTest[] {
  const file = parse(readFileSync(ALERT_TESTS_FILE, 'utf8')) as { tests: { alert_rule_test?: AlertRuleTest[] }[] };
  return file.tests.flatMap((test) => test.alert_rule_test ?? []);
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
}

/** Every panel, rows' collapsed panels included. */
export function dashboardPanels(board = dashboard()): DashboardPanel[] {
  return board.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** One PromQL expression of the alerts or the dashboard, and where it comes from. */
export interface Query {
  readonly where: string;
  readonly expr: string;
  /** Label names a `label_values(expr, label)` variable reads from the expression's series. */
  readonly readsLabels: readonly string[];
}

export function alertQueries(): Query[] {
  return alertRules().map((rule) => ({ where: `alerts.yml ${rule.alert}`, expr: rule.expr, readsLabels: [] }));
}

const LABEL_VALUES = /^\s*label_values\(\s*(.+?)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s;

export function dashboardQueries(board = dashboard()): Query[] {
  const queries: Query[] = [];
  for (const panel of dashboardPanels(board)) {
    for (const target of panel.targets ?? []) {
      queries.push({ where: `dashboard "${panel.title}" ${target.refId}`, expr: target.expr, readsLabels: [] });
    }
  }
  for (const variable of board.templating.list) {
    if (variable.type !== 'query') continue;
    const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
    const labelValues = LABEL_VALUES.exec(query);
    if (!labelValues) throw new Error(`dashboard variable $${variable.name}: not a label_values() query: ${query}`);
    queries.push({
      where: `dashboard variable $${variable.name}`,
      expr: labelValues[1] as string,
      readsLabels: [labelValues[2] as string],
    });
  }
  return queries;
}
