// `npm run test:readme` (part of `npm test`, after the Jest runs, so that no suite shares the machine with it): runs
// the README's DynamoDB section as printed. It takes the section's three `bash` blocks from README.md and runs their
// lines verbatim in one bash — `npm run dynamodb:local`, the `export` line, `npm run table:create` (twice: the second
// run creates nothing), `CHECKOUT_SESSION_CACHE_DRIVER=dynamodb npm start`, the curl create and read — the two
// servers in the background, each waited for within a bound. The shell starts without any variable of this run (no
// DYNAMODB_ENDPOINT, no AWS credentials), on the printed ports 8000 and 3000 (scripts/fixed-ports.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freshShellEnv, runOnFixedPorts } from './fixed-ports.mjs';
import { checkSteps } from './check-steps.mjs';

const root = resolve(import.meta.dirname, '..');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Bounds, in seconds: DynamoDB Local's start, then the app's build and start (nest start compiles it). */
const DYNAMODB_LOCAL_BOUND_S = 120;
const APP_BOUND_S = 300;

/** @param {string} markdown @param {string} heading @returns {string[]} the ```bash blocks of a section, up to its next heading */
function bashBlocks(markdown, heading) {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.notEqual(start, -1, `README has no section "${heading}"`);
  const section = markdown.slice(start + heading.length + 2).split(/\n#{2,3} /)[0];
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((match) => match[1]);
}

/** @param {string} block @returns {string[]} its commands, a `\` continuation joined to its line */
const commandsOf = (block) =>
  block
    .replace(/\\\n/g, '\\\u0000')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.replaceAll('\\\u0000', '\\\n'));
/** @param {string} line */
const isComment = (line) => line.trimStart().startsWith('#');

/**
 * The block with its last command, a server in the foreground, in the background and its output in `$LOGS/log`: on a
 * line of its own in a group, so that a trailing comment cannot swallow the redirection.
 * @param {string[]} lines @param {string} log
 */
function inBackground(lines, log) {
  const last = lines.findLastIndex((line) => !isComment(line));
  return lines.flatMap((line, index) => (index === last ? ['{', line, `} > "$LOGS/${log}" 2>&1 &`] : [line]));
}

const { results, step } = checkSteps();

try {
  const blocks = bashBlocks(readFileSync(join(root, 'README.md'), 'utf8'), '## DynamoDB');
  assert.equal(blocks.length, 3, 'the DynamoDB section has three shells');
  const [local, app, client] = blocks.map(commandsOf);
  assert.deepEqual(local.filter((line) => !isComment(line)).map((line) => line.split(/\s+#/)[0].trim()), ['npm run dynamodb:local']);
  assert.equal(app.filter((line) => !isComment(line)).at(-1), 'CHECKOUT_SESSION_CACHE_DRIVER=dynamodb npm start');
  const tableCreate = app.find((line) => line.startsWith('npm run table:create'));
  assert.ok(tableCreate, 'the second shell runs npm run table:create');

  const script = [
    'LOGS="$SCRATCH"',
    'echo "::: shell 1"',
    ...inBackground(local, 'dynamodb-local.log'),
    `await_port 8000 ${DYNAMODB_LOCAL_BOUND_S} || { cat "$LOGS/dynamodb-local.log"; exit 1; }`,
    'echo "::: shell 2"',
    ...inBackground(app, 'app.log').flatMap((line) => (line === tableCreate ? [line, 'echo "::: table:create again"', line] : [line])),
    `await_port 3000 ${APP_BOUND_S} || { cat "$LOGS/app.log"; exit 1; }`,
    'echo "::: shell 3"',
    ...client,
    'echo',
    'echo "::: app log"',
    'cat "$LOGS/app.log"',
  ].join('\n');
  // A fresh shell: none of the variables of this run.
  const env = freshShellEnv();
  process.stdout.write("README's DynamoDB section, as printed\n");
  const { status, output, isolated } = await runOnFixedPorts(script, { ports: [8000, 3000], cwd: root, env: { ...env, NO_COLOR: '1' }, timeoutMs: 540_000 });
  process.stdout.write(`  (${isolated ? 'in a network namespace of its own' : "on this machine's network"})\n`);
  /** @param {string} name */
  const part = (name) => output.split(`::: ${name}\n`)[1]?.split('\n::: ')[0] ?? '';

  step('every command ends well', () => assert.equal(status, 0, output));
  step('npm run table:create says where it goes, creates the table, and the second run creates nothing', () => {
    const [first, second] = [part('shell 2'), part('table:create again')];
    for (const run of [first, second]) {
      assert.match(run, /Table "checkout-sessions" at http:\/\/localhost:8000/, output);
      assert.match(run, /Ready: table "checkout-sessions" at http:\/\/localhost:8000/, output);
    }
    assert.match(first, /Created table "checkout-sessions"/);
    assert.doesNotMatch(second, /Created table/);
  });
  step('the app serves on the DynamoDB driver, at the exported endpoint', () => {
    assert.match(part('app log'), /Using the dynamodb driver/, output);
    assert.match(part('app log'), /endpoint http:\/\/localhost:8000/, output);
  });
  step('the curl create and read answer the session', () => {
    const session = JSON.parse(part('shell 3').trim().split('\n').at(-1) ?? '');
    assert.match(session.id, UUID);
    assert.deepEqual([session.eventId, session.priceId, session.quantity, session.status], ['concert-2026', 'standard', 2, 'CREATED']);
  });
} catch (error) {
  results.failed += 1;
  process.stdout.write(`${/** @type {Error} */ (error).stack}\n`);
}
process.stdout.write(`readme: ${results.passed} passed, ${results.failed} failed\n`);
process.exitCode = results.failed === 0 ? 0 : 1;
