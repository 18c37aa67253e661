import { describe, expect, it } from 'vitest';
import { dashboard, dashboardPanels } from './files.js';

// The dashboard's shape: importable anywhere (the data source is a variable, never a
// fixed uid), the breaker and pod variables, panels that do not overlap.

const board = dashboard();
const panels = dashboardPanels(board);
const queryPanels = panels.filter((panel) => panel.type !== 'row' && panel.type !== 'text');
const DS = { type: 'prometheus', uid: `\${DS_PROMETHEUS}` };

describe('the Grafana dashboard (deploy/observability/breakwater-dashboard.json)', () => {
  it('takes its data source as the DS_PROMETHEUS variable, and has breaker and pod variables over it', () => {
    const variables = Object.fromEntries(board.templating.list.map((v) => [v.name, v]));
    expect(variables.DS_PROMETHEUS).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables.breaker).toMatchObject({ type: 'query', datasource: DS, multi: true, includeAll: true });
    expect(variables.pod).toMatchObject({ type: 'query', datasource: DS, multi: true, includeAll: true });
    // No data source pinned anywhere but Grafana's own annotations.
    const pinned: unknown[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'datasource' && JSON.stringify(value) !== JSON.stringify(DS)) pinned.push(value);
          walk(value);
        }
      }
    };
    walk(board.panels);
    walk(board.templating);
    expect(pinned).toEqual([]);
  });

  it('queries the data source variable in every panel and every target', () => {
    expect(queryPanels.length).toBeGreaterThan(0);
    for (const panel of queryPanels) {
      expect(panel.datasource, panel.title).toEqual(DS);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.datasource, `${panel.title} ${target.refId}`).toEqual(DS);
        expect(target.expr.trim(), `${panel.title} ${target.refId}`).not.toBe('');
      }
    }
  });

  it('filters every breaker panel by $breaker and $pod, every ramp panel by $pod, and every session panel by $pod unless it is fleet-wide', () => {
    for (const panel of queryPanels) {
      for (const target of panel.targets ?? []) {
        const where = `${panel.title} ${target.refId}: ${target.expr}`;
        if (target.expr.includes('breakwater_breaker_')) {
          expect(target.expr, where).toContain('breaker=~"$breaker"');
          expect(target.expr, where).toContain('pod=~"$pod"');
        } else if (target.expr.includes('breakwater_ramp_')) {
          expect(target.expr, where).toContain('pod=~"$pod"');
        } else if (target.expr.includes('pusher_') && !panel.title.includes('fleet-wide')) {
          expect(target.expr, where).toContain('pod=~"$pod"');
        }
      }
    }
  });

  it('has unique panel ids and no two panels overlapping', () => {
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const overlaps: string[] = [];
    for (const [n, a] of panels.entries()) {
      for (const b of panels.slice(n + 1)) {
        const apart =
          a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
          b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
          a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
          b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        if (!apart) overlaps.push(`${a.title} / ${b.title}`);
      }
      expect(a.gridPos.x + a.gridPos.w, a.title).toBeLessThanOrEqual(24);
    }
    expect(overlaps).toEqual([]);
  });
});
