import type { NestExpressApplication } from '@nestjs/platform-express';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { appEnv, createTestApp } from './support/checkout-api.harness.js';
import { DRIVERS } from './support/checkout-session-cache.harness.js';

/** One request of a `.http` file: its title, `# @name`, request line, headers, body and the status its title expects. */
interface HttpFileRequest {
  title: string;
  name?: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  expected: number;
}

/** Parses the REST Client format this repository's file uses: `@var = value`, `###` separators, `# @name`. */
function parseHttpFile(text: string): { variables: Record<string, string>; requests: HttpFileRequest[] } {
  const [preamble = '', ...blocks] = text.split(/^###/m);
  const variables = Object.fromEntries([...preamble.matchAll(/^@(\w+)\s*=\s*(.+)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
  const requests = blocks.map((block) => {
    const [titleLine = '', ...lines] = block.split('\n');
    const title = titleLine.trim();
    const expected = Number(/\(expect (\d{3})\)$/.exec(title)?.[1]);
    if (!expected) throw new Error(`request "${title}" says no (expect NNN)`);
    const name = lines.map((line) => /^# @name (\w+)/.exec(line)?.[1]).find(Boolean);
    const content = lines.filter((line) => !line.startsWith('#'));
    const start = content.findIndex((line) => line.trim() !== '');
    const [method, url] = content[start]!.trim().split(/\s+/);
    const headers: Record<string, string> = {};
    let index = start + 1;
    for (; index < content.length && content[index]!.trim() !== ''; index++) {
      const [header, ...value] = content[index]!.split(':');
      headers[header!.trim()] = value.join(':').trim();
    }
    const body = content.slice(index).join('\n').trim();
    return { title, name, method: method!, url: url!, headers, expected, ...(body && { body }) };
  });
  return { variables, requests };
}

const FILE = readFileSync(resolve(import.meta.dirname, '../checkout-api.http'), 'utf8');

describe.each(DRIVERS)('checkout-api.http (%s driver)', (driver) => {
  let app: NestExpressApplication;
  const { adminToken } = parseHttpFile(FILE).variables;

  beforeAll(async () => {
    // The app as the file says to start it: with its admin token.
    app = await createTestApp(appEnv(driver, { CHECKOUT_API_ADMIN_TOKEN: adminToken! }));
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('says to start the app with the admin token its requests send', () => {
    expect(adminToken).toMatch(/^[\w-]+$/);
    expect(FILE).toContain(`CHECKOUT_API_ADMIN_TOKEN=${adminToken} npm start`);
  });

  it('walks the buyer flow: every request answers the status its title expects', async () => {
    const { variables, requests } = parseHttpFile(FILE);
    expect(variables.baseUrl).toBe('http://localhost:3000');
    // The file's requests, sent to this test's app instead of port 3000.
    variables.baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const responses: Record<string, unknown> = {};
    const substitute = (text: string) =>
      text.replace(/\{\{(\w+)(?:\.response\.body\.\$\.(\w+))?\}\}/g, (_all, first: string, field?: string) => {
        const value = field === undefined ? variables[first] : (responses[first] as Record<string, unknown> | undefined)?.[field];
        if (typeof value !== 'string') throw new Error(`{{${first}${field ? `.response.body.$.${field}` : ''}}} has no value`);
        return value;
      });
    const answered: string[] = [];
    for (const request of requests) {
      const response = await fetch(substitute(request.url), {
        method: request.method,
        headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, substitute(value)])),
        ...(request.body && { body: substitute(request.body) }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      answered.push(`${response.status} ${request.title}`);
      expect({ title: request.title, status: response.status, text }).toEqual({ title: request.title, status: request.expected, text });
      if (request.name) responses[request.name] = JSON.parse(text);
      if (request.title.includes('Idempotent-Replayed: true')) expect(response.headers.get('idempotent-replayed')).toBe('true');
      if (request.title.includes('WWW-Authenticate: Bearer')) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
    expect(answered.length).toBeGreaterThanOrEqual(10);
    const price = '{{baseUrl}}/events/concert-2026/prices/standard';
    expect(requests.map((request) => `${request.method} ${request.url}`)).toEqual(
      expect.arrayContaining([`PUT ${price}/stock`, `GET ${price}/availability`, `POST ${price}/returns`]),
    );
  });
});
