import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runOnFixedPorts } from './support/fixed-ports.mjs';

const root = resolve(import.meta.dirname, '..');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Bounds for the three shells: DynamoDB Local's start, then the app's build and start (nest start compiles it). */
const DYNAMODB_LOCAL_BOUND_S = 120;
const APP_BOUND_S = 300;

/** The ```bash blocks of the README's section `heading`, up to its next heading. */
function bashBlocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README has no section "${heading}"`);
  const section = markdown.slice(start + heading.length + 2).split(/\n#{2,3} /)[0]!;
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** A block's lines, its commands' `\` continuations joined to one entry each. */
const commandsOf = (block: string): string[] => block.replace(/\\\n/g, '\\\u0000').split('\n').filter((line) => line.trim() !== '').map((line) => line.replaceAll('\\\u0000', '\\\n'));
const isComment = (line: string) => line.trimStart().startsWith('#');

describe("the README's DynamoDB section, run as printed", () => {
  it('starts DynamoDB Local, creates the table twice, serves the app on DynamoDB and creates and reads a session', async () => {
    const blocks = bashBlocks(readFileSync(join(root, 'README.md'), 'utf8'), '## DynamoDB');
    expect(blocks).toHaveLength(3);
    const [local, app, client] = blocks.map(commandsOf) as [string[], string[], string[]];
    expect(local.filter((line) => !isComment(line))).toEqual([expect.stringMatching(/^npm run dynamodb:local\b/)]);
    expect(app.filter((line) => !isComment(line)).at(-1)).toBe('CHECKOUT_SESSION_CACHE_DRIVER=dynamodb npm start');
    const tableCreate = app.find((line) => line.startsWith('npm run table:create'));
    expect(tableCreate).toBeDefined();

    // The first two shells end in a server in the foreground: here it runs in the background, its output in a log.
    const background = (lines: string[], log: string) => {
      const last = lines.findLastIndex((line) => !isComment(line));
      // On a line of its own in a group: a trailing comment on the line cannot swallow the redirection.
      return lines.flatMap((line, index) => (index === last ? ['{', line, `} > "$LOGS/${log}" 2>&1 &`] : [line]));
    };
    const script = [
      'LOGS=$(mktemp -d)',
      'echo "::: shell 1"',
      ...background(local, 'dynamodb-local.log'),
      `await_port 8000 ${DYNAMODB_LOCAL_BOUND_S} || { cat "$LOGS/dynamodb-local.log"; exit 1; }`,
      'echo "::: shell 2"',
      ...background(app, 'app.log').flatMap((line) => (line === tableCreate ? [line, 'echo "::: table:create again"', line] : [line])),
      `await_port 3000 ${APP_BOUND_S} || { cat "$LOGS/app.log"; exit 1; }`,
      'echo "::: shell 3"',
      ...client,
      'echo',
      'echo "::: app log"',
      'cat "$LOGS/app.log"',
    ].join('\n');
    // A fresh shell: none of the variables this test run set (the Jest setup's DYNAMODB_ENDPOINT among them).
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|DYNAMODB_|CHECKOUT_|PORT$|NODE_ENV$)/.test(name)));
    const { status, output } = await runOnFixedPorts(script, { ports: [8000, 3000], cwd: root, env: { ...env, NO_COLOR: '1' }, timeoutMs: 540_000 });
    const part = (name: string) => output.split(`::: ${name}\n`)[1]?.split('\n::: ')[0] ?? '';
    // The whole output on a failure: the status first.
    expect(`exit status ${status}\n${output}`).toMatch(/^exit status 0\n/);

    const [first, second] = [part('shell 2'), part('table:create again')];
    for (const run of [first, second]) {
      expect(run).toContain('Table "checkout-sessions" at http://localhost:8000');
      expect(run).toContain('Ready: table "checkout-sessions" at http://localhost:8000');
    }
    expect(first).toContain('Created table "checkout-sessions"');
    expect(second).not.toContain('Created table');
    expect(part('app log')).toContain('Using the dynamodb driver');
    expect(part('app log')).toContain('endpoint http://localhost:8000');

    const session = JSON.parse(part('shell 3').trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(session).toMatchObject({ id: expect.stringMatching(UUID), eventId: 'concert-2026', priceId: 'standard', quantity: 2, status: 'CREATED' });
  }, 600_000);
});
