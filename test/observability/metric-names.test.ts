import { type AdminTokenConfig, buildAdminApp } from '@breakwater/admin-api';
import {
  type ClusterBreaker,
  createClusterBreaker,
  RedisBreakerStore,
  RedisReconnectRamp,
} from '@breakwater/breaker-core';
import { type ConversationRequest, PusherSession } from '@breakwater/listen-client';
import { PusherStandIn } from '@breakwater/pusher-stand-in';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRedis, type TestRedis } from '../harness/index.js';
import { alertQueries, dashboard, dashboardPanels, dashboardQueries, type Query } from './files.js';
import { promqlReferences } from './promql.js';

// Every metric an alert or a dashboard panel queries must be one the code exports:
// the metric names (and label names) in alerts.yml and breakwater-dashboard.json
// are checked against what real parts register on their prom-client Registry — a
// pod (createClusterBreaker on a real Redis, and its RedisReconnectRamp), a session
// (PusherSession on the pusher stand-in, over that ramp) and the admin API (buildAdminApp).
//
// A metric another branch is still adding fails here, by name, until it lands:
// that is the point (see deploy/observability/README.md, "Metrics the files assume").

/** Labels Prometheus attaches to every series it scrapes (the files assume `pod`). */
const TARGET_LABELS = ['pod', 'instance', 'job', 'namespace'];

const queries: Query[] = [...alertQueries(), ...dashboardQueries()];
const references = queries.map((query) => ({ query, ...promqlReferences(query.expr) }));

/** Metric name as queried → where, and with which matcher labels. */
const uses = new Map<string, { where: Set<string>; labels: Set<string> }>();
for (const { query, selectors } of references) {
  for (const { metric, labels } of selectors) {
    const use = uses.get(metric) ?? { where: new Set(), labels: new Set() };
    use.where.add(query.where);
    for (const label of labels) use.labels.add(label);
    uses.set(metric, use);
  }
}

interface Registered {
  readonly type: string;
  readonly labelNames: readonly string[];
  readonly help: string;
}

/** What the parts registered, by name. */
const registered = new Map<string, Registered>();

/** A queried name → the registered metric it reads (a histogram's _bucket/_sum/_count read the histogram). */
function resolve(name: string): { metric: Registered; extraLabels: string[] } | undefined {
  const direct = registered.get(name);
  if (direct) return { metric: direct, extraLabels: [] };
  const series = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = series ? registered.get(series[1] as string) : undefined;
  if (!series || !base || (base.type !== 'histogram' && base.type !== 'summary')) return undefined;
  return { metric: base, extraLabels: series[2] === 'bucket' ? ['le'] : [] };
}

let redis: TestRedis;
let pusher: PusherStandIn;
let breaker: ClusterBreaker;
let session: PusherSession;
let store: RedisBreakerStore;
let app: ReturnType<typeof buildAdminApp>;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await acquireRedis('observability');
  pusher = await PusherStandIn.start();
  const prefix = redis.prefix.replace(/:$/, '');
  const client = () => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };

  // A listen pod: its breaker and one session, on one registry, as in production.
  const pod = new Registry();
  breaker = await createClusterBreaker({ name: 'pusher', redis: redis.url, prefix, podId: 'obs-pod', registry: pod });
  // The pod's cluster-wide reconnect ramp exports its own metrics (breakwater_ramp_*) on the
  // same registry; the session counts what the ramp answered it (pusher_ramp_decisions_total).
  const ramp = new RedisReconnectRamp({ client: client(), name: 'pusher', prefix, registry: pod });
  session = new PusherSession({
    pusherUrl: pusher.url,
    uid: 'obs-user',
    breaker,
    ramp,
    fallback: async (request: ConversationRequest) => `fallback:${request.conversation_id}`,
    registry: pod,
  });
  await session.start();
  expect(session.state).toBe('connected');
  expect(await session.processConversation({ conversation_id: 'obs-1', language: 'en' })).toMatchObject({
    via: 'pusher',
    processed: true,
  });

  // The admin API, its own process in production: its own registry, scraped at /metrics.
  const admin = new Registry();
  const tokens: AdminTokenConfig[] = [{ name: 'prometheus', role: 'viewer', token: 'obs-viewer-secret-000001' }];
  store = new RedisBreakerStore({ client: client(), prefix });
  app = buildAdminApp({ store, tokens, registry: admin });
  const scrape = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer obs-viewer-secret-000001' } });
  expect(scrape.statusCode).toBe(200);

  for (const registry of [pod, admin]) {
    for (const metric of registry.getMetricsAsArray()) {
      const { labelNames = [] } = metric as { labelNames?: readonly string[] };
      registered.set(metric.name, { type: String(metric.type), labelNames, help: metric.help });
    }
  }
});

afterAll(async () => {
  await session?.close();
  await breaker?.close();
  await app?.close();
  await store?.close();
  for (const c of clients) c.disconnect();
  await pusher?.close();
  await redis?.release();
});

describe('every metric the alerts and the dashboard query is exported', () => {
  it('the pod, its ramp, the session and the admin API registered their metrics', () => {
    expect([...registered.keys()].filter((name) => name.startsWith('breakwater_breaker_')).length).toBeGreaterThan(0);
    expect([...registered.keys()].filter((name) => name.startsWith('breakwater_ramp_')).length).toBeGreaterThan(0);
    expect([...registered.keys()].filter((name) => name.startsWith('pusher_')).length).toBeGreaterThan(0);
    expect([...registered.keys()].filter((name) => name.startsWith('breakwater_admin_')).length).toBeGreaterThan(0);
  });

  it.each([...uses.keys()].sort())('%s is registered, with every label it is matched on', (name) => {
    const use = uses.get(name) as { where: Set<string>; labels: Set<string> };
    const found = resolve(name);
    expect(
      found,
      `${name} is not registered by a pod, a session or the admin API; queried by: ${[...use.where].join('; ')}`,
    ).toBeDefined();
    const known = [...(found?.metric.labelNames ?? []), ...(found?.extraLabels ?? []), ...TARGET_LABELS];
    expect(
      [...use.labels].filter((label) => !known.includes(label)),
      `labels matched on ${name}`,
    ).toEqual([]);
  });

  it.each(references.map((reference) => [reference.query.where, reference] as const))(
    '%s groups by and reads labels its metrics have',
    (_where, { selectors, groupingLabels, query }) => {
      // The labels of the registered metrics it reads (an unregistered one fails its own test above).
      const known = new Set([
        ...TARGET_LABELS,
        ...selectors.flatMap(({ metric }) => {
          const found = resolve(metric);
          return [...(found?.metric.labelNames ?? []), ...(found?.extraLabels ?? [])];
        }),
      ]);
      expect(
        [...groupingLabels, ...query.readsLabels].filter((label) => !known.has(label)),
        `labels grouped by or read in ${query.expr}`,
      ).toEqual([]);
    },
  );
});

describe('the dashboard shows every metric of the reconnect ramp', () => {
  it('each breakwater_ramp_* metric the pod registers is queried by a panel', () => {
    const panelMetrics = new Set(
      dashboardQueries().flatMap((query) => promqlReferences(query.expr).selectors.map(({ metric }) => metric)),
    );
    const rampMetrics = [...registered.keys()].filter((name) => name.startsWith('breakwater_ramp_')).sort();
    expect(rampMetrics).toEqual([
      'breakwater_ramp_adjustments_total',
      'breakwater_ramp_admissions_total',
      'breakwater_ramp_feedback_total',
      'breakwater_ramp_pauses_total',
      'breakwater_ramp_rate',
      'breakwater_ramp_refusals_total',
    ]);
    expect(rampMetrics.filter((name) => !panelMetrics.has(name))).toEqual([]);
  });
});

describe('the alerts and the dashboard read the state gauge as the pods write it', () => {
  it("breakwater_breaker_state's values are the ones alerts.yml compares with and the dashboard maps to names", () => {
    const help = registered.get('breakwater_breaker_state')?.help ?? '';
    const states = Object.fromEntries([...help.matchAll(/(\d) ([a-z_]+)/g)].map((m) => [m[1], m[2]]));
    // alerts.yml compares against these numbers: 1–2 open or half-open, 3–4 an override.
    expect(states).toEqual({ 0: 'closed', 1: 'open', 2: 'half_open', 3: 'forced_open', 4: 'forced_closed' });
    const statePanels = dashboardPanels(dashboard()).filter((panel) =>
      panel.targets?.some((target) => target.expr.includes('breakwater_breaker_state')),
    );
    expect(statePanels.length).toBeGreaterThan(0);
    for (const panel of statePanels) {
      const mapped = Object.fromEntries(
        (panel.fieldConfig?.defaults?.mappings ?? [])
          .filter((mapping) => mapping.type === 'value')
          .flatMap((mapping) => Object.entries(mapping.options).map(([value, { text }]) => [value, text])),
      );
      expect(mapped, panel.title).toEqual(states);
    }
  });
});
