import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil, within } from './bounded-wait.js';
import { FaultProxy, HttpRequestFramer } from './fault-proxy.js';

/** What a test client got back: the status and body of one response, read to its end. */
async function post(port: number, body: string): Promise<{ status: number; body: string }> {
  const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { 'Content-Length': Buffer.byteLength(body) } });
  req.end(body);
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return { status: res.statusCode!, body: text };
}

/**
 * An HTTP server on a free port that answers each request with `echo <body>`, recording the bodies in `received`;
 * with `closeAfterEach`, it closes its connection after each response (`Connection: close`).
 */
async function echoServer(closeAfterEach: boolean, received: string[] = []): Promise<{ server: Server; port: number }> {
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    received.push(body);
    if (closeAfterEach) res.setHeader('Connection', 'close');
    res.end(`echo ${body}`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

/** Stops `server`, closing the connections it keeps open. */
async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
}

describe('the fault proxy, in front of a server that closes its connection after each response', () => {
  let server: Server;
  let port: number;
  /** The bodies the server received, whole. */
  const received: string[] = [];

  beforeAll(async () => {
    ({ server, port } = await echoServer(true, received));
  });

  afterAll(() => stopServer(server));

  it('writes out a delayed response before it closes the client connection', async () => {
    const proxy = await new FaultProxy('127.0.0.1', port).start();
    try {
      proxy.set({ kind: 'latency', ms: 150 });
      const started = Date.now();
      await expect(post(proxy.port, 'slow')).resolves.toEqual({ status: 200, body: 'echo slow' });
      // Held both ways: the request, then its answer.
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 150 - 10);
      expect(proxy.injected.latency).toBe(1);
    } finally {
      await proxy.stop();
    }
  });

  it('faults per request: a request sent in several chunks meets one fault, the next request (a new connection) its own', async () => {
    const proxy = await new FaultProxy('127.0.0.1', port).start();
    try {
      proxy.plan((ordinal) => (ordinal === 0 ? { kind: 'none' } : { kind: 'http', status: 500 }));
      received.length = 0;
      const socket = connect(proxy.port, '127.0.0.1');
      await once(socket, 'connect');
      let answer = '';
      socket.on('data', (chunk) => (answer += String(chunk)));
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n');
      await sleep(50);
      socket.write('he');
      await sleep(50);
      socket.write('llo');
      await within('the server answered and closed the connection', once(socket, 'close'), 5000);
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*echo hello$/);
      expect(received).toEqual(['hello']);

      await expect(post(proxy.port, 'next')).resolves.toMatchObject({ status: 500 });
      expect(received).toEqual(['hello']);
      expect(proxy.injected).toEqual({ http: 1 });
    } finally {
      await proxy.stop();
    }
  });
});

describe('the fault proxy, in front of a server that keeps its connections open', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    ({ server, port } = await echoServer(false));
  });

  afterAll(() => stopServer(server));

  it('faults per request, not per connection: the second request on one kept-alive connection meets its own fault', async () => {
    const proxy = await new FaultProxy('127.0.0.1', port).start();
    const socket = connect(proxy.port, '127.0.0.1');
    try {
      proxy.plan((ordinal) => (ordinal === 0 ? { kind: 'none' } : { kind: 'latency', ms: 50 }));
      await once(socket, 'connect');
      let answer = '';
      socket.on('data', (chunk) => (answer += String(chunk)));
      const send = (body: string) => socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      send('one');
      await waitUntil('the first answer arrived', () => answer.includes('echo one'), 5000);
      expect(proxy.injected).toEqual({});
      send('two');
      await waitUntil('the second answer arrived on the same connection', () => answer.includes('echo two'), 5000);
      expect(socket.destroyed).toBe(false);
      expect(proxy.injected).toEqual({ latency: 1 });
    } finally {
      socket.destroy();
      await proxy.stop();
    }
  });
});

describe('HttpRequestFramer', () => {
  it('splits a stream into whole requests by their Content-Length, however it is chunked', () => {
    const one = 'POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc';
    const two = 'GET /x HTTP/1.1\r\nHost: y\r\n\r\n';
    const stream = Buffer.from(one + two + one);
    for (const size of [1, 7, stream.length]) {
      const framer = new HttpRequestFramer();
      const requests: string[] = [];
      for (let at = 0; at < stream.length; at += size) requests.push(...framer.push(stream.subarray(at, at + size)).map(String));
      expect(requests).toEqual([one, two, one]);
    }
  });
});
