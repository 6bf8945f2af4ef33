import request from 'supertest';
import type { App } from 'supertest/types.js';
import { waitUntil } from './support/bounded-wait.js';
import { appEnv, createTestApp } from './support/checkout-api.harness.js';
import { faultedTable } from './support/reliability.harness.js';

describe('checkout-api shutdown (dynamodb driver)', () => {
  it('completes a request that is waiting on DynamoDB when app.close() starts', async () => {
    const { proxy, tableName } = await faultedTable();
    // One attempt: a request whose connection is cut would fail, not be sent again on a new one.
    const app = await createTestApp(
      appEnv('dynamodb', {
        DYNAMODB_ENDPOINT: proxy.endpoint,
        DYNAMODB_CHECKOUT_SESSIONS_TABLE: tableName,
        DYNAMODB_AUTO_CREATE_TABLE: 'false',
        DYNAMODB_MAX_ATTEMPTS: '1',
      }),
    );
    try {
      proxy.set({ kind: 'latency', ms: 500 });
      const inFlight = request(app.getHttpServer() as App)
        .post('/checkout-sessions')
        .send({ eventId: 'shutdown', priceId: 'p', quantity: 1 })
        .then((response) => response);
      // Wait until the create has reached DynamoDB (the proxy holds it), then shut down while it waits there.
      await waitUntil('the create reaches DynamoDB through the proxy', () => Boolean(proxy.injected.latency), 10_000);
      await app.close();
      const response = await inFlight;
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ eventId: 'shutdown', status: 'CREATED' });
    } finally {
      await proxy.stop();
    }
  });
});
