import { jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { readFile } from 'node:fs/promises';
import request from 'supertest';
import type { App } from 'supertest/types.js';
import { CHECKOUT_SESSION_CACHE_IAM_ACTIONS, ensureCheckoutSessionTable } from '../../libs/checkout-session-cache/src/index.js';
import { appEnv, CapturingLogger, createTestApp } from '../support/checkout-api.harness.js';
import { bootCache, directClient, ManualClock, uniqueTableName } from '../support/checkout-session-cache.harness.js';
import type { Fault } from '../support/fault-proxy.js';
import { FAULT_SETTINGS } from '../support/fault-bounds.js';
import { eventually } from '../support/bounded-wait.js';
import { faultedTable, GENEROUS_TIMEOUT_MS } from '../support/reliability.harness.js';

jest.setTimeout(120_000);

describe('session ids', () => {
  it('are unique UUIDv4 with 122 random bits, carrying nothing of the session', async () => {
    // The same input at the same instant: an id derived from the input, the time or a counter shows as fixed bits.
    const { module, cache } = await bootCache({ driver: 'memory', clock: new ManualClock() });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 4000; i++) ids.push((await cache.create({ eventId: 'event-42', priceId: 'vip', quantity: 7 })).id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) {
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }
      // Every one of the 122 random bits (all but the 4 version and 2 variant bits) is set in about half of the ids:
      // nothing sequential, no shared prefix, no timestamp.
      const bits = ids.map((id) => BigInt(`0x${id.replaceAll('-', '')}`));
      const fixed = new Set([48, 49, 50, 51, 64, 65].map((fromLeft) => 127 - fromLeft));
      for (let bit = 0; bit < 128; bit++) {
        if (fixed.has(bit)) continue;
        const share = bits.filter((b) => (b >> BigInt(bit)) & 1n).length / bits.length;
        expect(share).toBeGreaterThan(0.44);
        expect(share).toBeLessThan(0.56);
      }
    } finally {
      await module.close();
    }
  });
});

describe('logs during a run with faults', () => {
  const SECRET = 'canary-SECRET-0f8e2c1d-never-log-me';
  const PAYLOAD = 'canary-PAYLOAD-buyer@example.com';
  let saved: string | undefined;

  beforeAll(() => {
    // DynamoDB Local keys its data by access key id and region, not by secret: any secret works.
    saved = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = SECRET;
  });

  afterAll(() => {
    process.env.AWS_SECRET_ACCESS_KEY = saved;
  });

  it('hold no credentials and no session payloads', async () => {
    const { proxy, tableName } = await faultedTable();
    const logger = new CapturingLogger();
    const app: NestExpressApplication = await createTestApp(
      appEnv('dynamodb', {
        DYNAMODB_ENDPOINT: proxy.endpoint,
        DYNAMODB_CHECKOUT_SESSIONS_TABLE: tableName,
        DYNAMODB_AUTO_CREATE_TABLE: 'false',
        DYNAMODB_MAX_ATTEMPTS: String(FAULT_SETTINGS.maxAttempts),
        DYNAMODB_REQUEST_TIMEOUT_MS: String(FAULT_SETTINGS.requestTimeoutMs),
      }),
      logger,
    );
    try {
      const http = () => request(app.getHttpServer() as App);
      const body = { eventId: 'logs', priceId: 'p', quantity: 1, metadata: { email: PAYLOAD } };
      // With no fault yet; keyed, so a retry after a slow first attempt makes no second session.
      const created = await eventually('the create with no fault answers 201', () => http().post('/checkout-sessions').set('Idempotency-Key', 'logs').send(body).expect(201), GENEROUS_TIMEOUT_MS);
      const { id } = created.body as { id: string };
      const faults: Fault[] = [{ kind: 'http', status: 500 }, { kind: 'throttle' }, { kind: 'reset' }, { kind: 'blackhole' }];
      for (const fault of faults) {
        proxy.set(fault);
        await http().post('/checkout-sessions').send(body).expect(503);
        await http().get(`/checkout-sessions/${id}`).expect(503);
        await http().patch(`/checkout-sessions/${id}`).send({ status: 'CONFIRMING' }).expect(503);
        await http().get('/health').expect(503);
      }
      proxy.set({ kind: 'none' });
      await http().post('/checkout-sessions').send({ ...body, quantity: 0 }).expect(400);

      const logged = logger.lines.join('\n');
      expect(logger.lines.filter((line) => line.startsWith('WARN')).length).toBeGreaterThanOrEqual(faults.length * 3);
      expect(logged).not.toContain(SECRET);
      expect(logged).not.toContain(PAYLOAD);
      expect(logged).not.toMatch(/"metadata"|"quantity"/);
    } finally {
      await app.close();
      await proxy.stop();
    }
  });
});

/** The parts of a transaction and the IAM action each needs: a transaction is authorised by the actions of its parts. */
const TRANSACTION_PART_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

/** The IAM actions a request needs: its operation's own (`GetItemCommand` → `dynamodb:GetItem`), or its parts'. */
function actionsOf(commandName: string, input: { TransactItems?: Record<string, unknown>[] }): string[] {
  if (input.TransactItems) return input.TransactItems.flatMap((part) => Object.keys(part).map((kind) => TRANSACTION_PART_ACTIONS[kind] ?? `unknown:${kind}`));
  return [`dynamodb:${commandName.replace(/Command$/, '')}`];
}

interface PolicyStatement {
  Action: string[];
  Resource: string;
}

/** Adds `action` on `resource` to a map of action → resources. */
const grant = (map: Map<string, Set<string>>, action: string, resource: string) => map.set(action, (map.get(action) ?? new Set()).add(resource));

describe('the least-privilege IAM policy in docs/iam/app-policy.json', () => {
  it('grants exactly the actions of the requests the library sent, Query only on indexes, and nothing that scans or drops tables', async () => {
    const tableName = uniqueTableName();
    // The table is provisioned beforehand, by another role; the app never creates it.
    const provisioner = directClient();
    await ensureCheckoutSessionTable(provisioner, tableName);
    provisioner.destroy();

    // Every request the library sends, recorded below it: the actions it needs are derived from what was sent.
    const client = directClient();
    const used = new Map<string, Set<string>>();
    client.middlewareStack.add(
      (next, context) => (args) => {
        const input = args.input as { IndexName?: string; TransactItems?: Record<string, unknown>[] };
        for (const action of actionsOf(context.commandName!, input)) grant(used, action, input.IndexName ? 'index' : 'table');
        return next(args);
      },
      { step: 'initialize', name: 'recordActions' },
    );
    const { module, cache } = await bootCache({ driver: 'dynamodb', endpoint: process.env.DYNAMODB_ENDPOINT, tableName, client });
    try {
      await cache.ping();
      const session = await cache.create({ eventId: 'iam', priceId: 'p', quantity: 1 });
      await cache.create({ eventId: 'iam', priceId: 'p', quantity: 1 }, { idempotencyKey: 'iam-key' });
      const limited = await cache.create({ eventId: 'iam', priceId: 'p', quantity: 1 }, { maxHeld: 3 });
      await cache.create({ eventId: 'iam', priceId: 'p', quantity: 1 }, { maxHeld: 3 }).catch(() => undefined);
      await cache.getById(session.id);
      await cache.updateStatus(session.id, 'CONFIRMING');
      await cache.updateStatus(limited.id, 'CANCELLED');
      await cache.count({ eventId: 'iam', priceId: 'p' });
      await cache.held({ eventId: 'iam', priceId: 'p' });
      await cache.deleteById(session.id);
      await cache.deleteById(limited.id);
    } finally {
      await module.close();
      client.destroy();
    }

    // The list the library publishes (and infrastructure code builds policies from) is what it used.
    const published = new Map<string, Set<string>>();
    // The start-up check is on here (the default), so its actions were sent too.
    for (const action of [...CHECKOUT_SESSION_CACHE_IAM_ACTIONS.table, ...CHECKOUT_SESSION_CACHE_IAM_ACTIONS.startupCheck]) grant(published, action, 'table');
    for (const action of CHECKOUT_SESSION_CACHE_IAM_ACTIONS.index) grant(published, action, 'index');
    expect(new Map([...published].sort())).toEqual(new Map([...used].sort()));

    const policy = JSON.parse(await readFile('docs/iam/app-policy.json', 'utf8')) as { Statement: PolicyStatement[] };
    const granted = new Map<string, Set<string>>();
    for (const statement of policy.Statement) {
      const resource = statement.Resource.includes('/index/') ? 'index' : 'table';
      for (const action of statement.Action) grant(granted, action, resource);
    }
    expect(new Map([...granted].sort())).toEqual(new Map([...used].sort()));
    expect(granted.get('dynamodb:Query')).toEqual(new Set(['index']));
    for (const forbidden of ['dynamodb:Scan', 'dynamodb:CreateTable', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:*']) {
      expect(granted.has(forbidden)).toBe(false);
    }
  });
});
