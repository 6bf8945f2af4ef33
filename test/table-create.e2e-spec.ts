import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { directClient } from './support/checkout-session-cache.harness.js';
import { DYNAMODB_LOCAL_ENV } from '../scripts/dynamodb-local.launcher.mjs';

const root = resolve(import.meta.dirname, '..');
/** Bounds one run of the script: tsx starts it, then it talks to DynamoDB Local. */
const RUN_BOUND_MS = 60_000;

/** Runs `npm run table:create -- ...args` with `env` over a clean env (no inherited DynamoDB or AWS variable). */
function tableCreate(args: string[], env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|DYNAMODB_|CHECKOUT_SESSION)/.test(name)));
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', '--silent', 'table:create', ...(args.length ? ['--', ...args] : [])], {
      cwd: root,
      env: { ...clean, NO_COLOR: '1', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`table:create ${args.join(' ')} did not end within ${RUN_BOUND_MS} ms:\n${output}`));
    }, RUN_BOUND_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, output });
    });
  });
}

const credentials = DYNAMODB_LOCAL_ENV;

describe('npm run table:create', () => {
  it('refuses to go to AWS without DYNAMODB_ENDPOINT or --aws, even with credentials, and says how to ask', async () => {
    const { status, output } = await tableCreate([], { ...credentials, DYNAMODB_CHECKOUT_SESSIONS_TABLE: 'never-created' });
    expect(status).toBe(1);
    expect(output).toContain('DYNAMODB_ENDPOINT is not set, so the table would be created in the AWS account of your credentials');
    expect(output).toContain('npm run table:create -- --aws');
    expect(output).not.toContain('Table "never-created" at');
  });

  it('refuses --aws together with DYNAMODB_ENDPOINT, and an unknown argument', async () => {
    const both = await tableCreate(['--aws'], { ...credentials, DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT! });
    expect(both.status).toBe(1);
    expect(both.output).toContain('--aws and DYNAMODB_ENDPOINT');
    const typo = await tableCreate(['--backfil'], { ...credentials, DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT! });
    expect(typo.status).toBe(1);
    expect(typo.output).toContain("Unknown option '--backfil'");
  });

  it('reads the DynamoDB env although CHECKOUT_SESSION_CACHE_DRIVER is unset or memory, and says where it went', async () => {
    const tableName = `table-create-${randomUUID()}`;
    const endpoint = process.env.DYNAMODB_ENDPOINT!;
    for (const driver of [{}, { CHECKOUT_SESSION_CACHE_DRIVER: 'memory' }] as Record<string, string>[]) {
      const { status, output } = await tableCreate([], { ...credentials, ...driver, DYNAMODB_ENDPOINT: endpoint, DYNAMODB_CHECKOUT_SESSIONS_TABLE: tableName });
      expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining(`Ready: table "${tableName}" at ${endpoint}`) });
    }
    const client = directClient();
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.TableStatus).toBe('ACTIVE');
    } finally {
      client.destroy();
    }
  });

  it('with --aws goes where the SDK resolves AWS and names the region and any endpoint override', async () => {
    // AWS_ENDPOINT_URL_DYNAMODB is the SDK's own endpoint override: here it stands in for AWS, so no account is touched.
    const tableName = `table-create-aws-${randomUUID()}`;
    const { status, output } = await tableCreate(['--aws'], {
      ...credentials,
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_DYNAMODB: process.env.DYNAMODB_ENDPOINT!,
      DYNAMODB_CHECKOUT_SESSIONS_TABLE: tableName,
    });
    expect({ status, output }).toEqual({
      status: 0,
      output: expect.stringContaining(
        `Ready: table "${tableName}" at AWS, region eu-west-1, endpoint ${process.env.DYNAMODB_ENDPOINT} (from AWS_ENDPOINT_URL_DYNAMODB)`,
      ),
    });
  });
});
