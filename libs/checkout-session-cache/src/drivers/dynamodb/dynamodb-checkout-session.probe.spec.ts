import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { bootCache, directClient, ManualClock, testOptions, uniqueTableName } from '../../../../../test/support/checkout-session-cache.harness.js';
import { faultedTable } from '../../../../../test/support/reliability.harness.js';
import { CheckoutSessionStoreUnavailableError } from '../../errors/checkout-session-store-unavailable.error.js';
import { CheckoutSessionTableNotFoundError } from '../../errors/checkout-session-table-not-found.error.js';
import type { CheckoutSessionCacheModuleOptions } from '../../interfaces/checkout-session-cache-options.interface.js';
import { CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT } from '../../checkout-session-cache.tokens.js';
import { CHECKOUT_SESSION_CACHE_PROBE_CLIENT } from '../../checkout-session-cache.providers.js';
import { ensureCheckoutSessionTable } from './dynamodb-checkout-session.provisioning.js';
import type { LazyDynamoDbClient } from './dynamodb-client.factory.js';

/** A client to DynamoDB Local that records the name of every command sent through it. */
function recordingClient(): { client: DynamoDBClient; sent: string[] } {
  const client = directClient();
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName!);
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { client, sent };
}

/** Boots the DynamoDB driver through a recording client; the table is provisioned before, by another client. */
async function bootRecorded(extra: CheckoutSessionCacheModuleOptions = {}, provision = true) {
  const tableName = uniqueTableName();
  if (provision) {
    const provisioner = directClient();
    await ensureCheckoutSessionTable(provisioner, tableName);
    provisioner.destroy();
  }
  const { client, sent } = recordingClient();
  const booted = await bootCache(testOptions('dynamodb', { tableName, autoCreateTable: false, client, ...extra }));
  return { ...booted, client, sent, tableName };
}

describe('DynamoDB health probe (ping)', () => {
  it('reads a reserved key (data plane), never DescribeTable, and reuses a success for pingCacheMs', async () => {
    const clock = new ManualClock();
    const { module, cache, client, sent } = await bootRecorded({ clock, pingCacheMs: 5000 });
    try {
      sent.length = 0;
      await Promise.all([cache.ping(), cache.ping(), cache.ping()]);
      expect(sent).toEqual(['GetItemCommand']);
      clock.advance(4999);
      await cache.ping();
      expect(sent).toEqual(['GetItemCommand']);
      clock.advance(1);
      await cache.ping();
      expect(sent).toEqual(['GetItemCommand', 'GetItemCommand']);
      // The reserved key is never a session: it stays absent, and no session can have its id.
      await expect(cache.getById('health#probe')).rejects.toThrow('must be a checkout session id');
    } finally {
      await module.close();
      client.destroy();
    }
  });

  it('probes every time with pingCacheMs 0, and never keeps a failure', async () => {
    const { module, cache, client, sent, tableName } = await bootRecorded({ pingCacheMs: 0 }, false);
    try {
      sent.length = 0;
      await expect(cache.ping()).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      await expect(cache.ping()).rejects.toBeInstanceOf(CheckoutSessionTableNotFoundError);
      expect(sent).toEqual(['GetItemCommand', 'GetItemCommand']);
      const provisioner = directClient();
      await ensureCheckoutSessionTable(provisioner, tableName);
      provisioner.destroy();
      await expect(cache.ping()).resolves.toBeUndefined();
      await expect(cache.ping()).resolves.toBeUndefined();
      expect(sent.filter((name) => name === 'GetItemCommand')).toHaveLength(4);
    } finally {
      await module.close();
      client.destroy();
    }
  });

  it('creates its own client at the first ping, not at start-up, and the module destroys it and the data client on shutdown', async () => {
    const { module, cache } = await bootCache(testOptions('dynamodb'));
    const probeClient = module.get<LazyDynamoDbClient>(CHECKOUT_SESSION_CACHE_PROBE_CLIENT);
    const dataClient = module.get<DynamoDBClient>(CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT);
    let dataDestroyed = 0;
    const destroyData = dataClient.destroy.bind(dataClient);
    dataClient.destroy = () => {
      dataDestroyed++;
      destroyData();
    };
    let destroyed = 0;
    try {
      await cache.getById('00000000-0000-4000-8000-000000000000');
      expect(probeClient.created).toBe(false);
      await cache.ping();
      expect(probeClient.created).toBe(true);
      const client = probeClient.get();
      const destroy = client.destroy.bind(client);
      client.destroy = () => {
        destroyed++;
        destroy();
      };
    } finally {
      await module.close();
    }
    expect(destroyed).toBe(1);
    expect(dataDestroyed).toBe(1);
    // After shutdown no client is created again, so none can outlive the module.
    expect(() => probeClient.get()).toThrow('destroyed');
  });

  it('creates no client for a ping that comes after shutdown', async () => {
    const { module, cache } = await bootCache(testOptions('dynamodb'));
    const probeClient = module.get<LazyDynamoDbClient>(CHECKOUT_SESSION_CACHE_PROBE_CLIENT);
    await module.close();
    await expect(cache.ping()).rejects.toBeInstanceOf(CheckoutSessionStoreUnavailableError);
    expect(probeClient.created).toBe(false);
  });

  it('probes with a client passed in options, and leaves it (the data client too) to its owner at shutdown', async () => {
    const { module, cache, client, sent } = await bootRecorded();
    expect(module.get(CHECKOUT_SESSION_CACHE_DYNAMODB_CLIENT)).toBe(client);
    let destroyed = 0;
    const destroy = client.destroy.bind(client);
    client.destroy = () => {
      destroyed++;
      destroy();
    };
    try {
      sent.length = 0;
      await cache.ping();
      expect(sent).toEqual(['GetItemCommand']);
    } finally {
      await module.close();
    }
    expect(destroyed).toBe(0);
    client.destroy();
  });

  it('makes one attempt where data calls make maxAttempts', async () => {
    const { proxy, options } = await faultedTable();
    const { module, cache } = await bootCache({ ...options, maxAttempts: 3, verifyTableOnStartup: false });
    try {
      proxy.set({ kind: 'http', status: 500 });
      await expect(cache.ping()).rejects.toBeInstanceOf(CheckoutSessionStoreUnavailableError);
      expect(proxy.injected.http).toBe(1);
      await expect(cache.getById('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(CheckoutSessionStoreUnavailableError);
      expect(proxy.injected.http).toBe(1 + 3);
    } finally {
      await module.close();
      await proxy.stop();
    }
  });
});

describe('DynamoDB start-up table check (verifyTableOnStartup)', () => {
  it.each([
    [true, ['DescribeTableCommand', 'DescribeTimeToLiveCommand']],
    [false, []],
  ])('with %s sends %j at start-up', async (verifyTableOnStartup, expected) => {
    const { module, client, sent } = await bootRecorded({ verifyTableOnStartup });
    try {
      expect(sent).toEqual(expected);
    } finally {
      await module.close();
      client.destroy();
    }
  });
});
