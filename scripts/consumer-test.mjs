// `npm run test:consumer`: proves the packed library works outside this repo, the way a consuming team uses it.
// Builds and packs the library, checks the tarball, scaffolds a fresh NestJS 12 app with `nest new` (ESM), installs the
// tarball there, type-checks it under TypeScript's nodenext, node16 and bundler resolution, and boots it twice:
// forRoot('memory'), and forRootAsync reading env through ConfigModule on the DynamoDB driver against DynamoDB Local.
// The same sources are then compiled as a CommonJS app (`require()` of the package and of `./health`), which boots on
// the memory driver and on a DynamoDB client of its own `@aws-sdk/client-dynamodb`, passed in the `client` option. In
// each boot, a service injects the port and runs create → get → updateStatus → count → delete. The app is installed
// with the install line of the README's quick start, and every TypeScript block of README.md and of the package's
// README.md is taken from them as printed into the app, compiled and booted: the quick start as the app's module,
// served by `npm run start` and called with the README's curl; each other block as a module of its own, and the
// README's conformance-kit spec, compiled with the app, run by Jest (native ESM) from the installed `./testing`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DYNAMODB_LOCAL_ENV, startDynamoDbLocal } from './dynamodb-local.launcher.mjs';
import { freshShellEnv, runOnFixedPorts } from './fixed-ports.mjs';
import { checkSteps } from './check-steps.mjs';

const root = resolve(import.meta.dirname, '..');
const library = join(root, 'libs/checkout-session-cache');
const work = mkdtempSync(join(tmpdir(), 'checkout-session-consumer-'));
const { results, step, stepAsync } = checkSteps();

/** @param {string} command @param {string[]} args @param {{ cwd?: string, env?: NodeJS.ProcessEnv }} [options] */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/**
 * The fenced blocks of `language` in a Markdown file, as printed, in order.
 * @param {string} file @param {string} language @returns {string[]}
 */
function blocksOf(file, language) {
  return [...readFileSync(file, 'utf8').matchAll(new RegExp(`\`\`\`${language}\n([\\s\\S]*?)\`\`\``, 'g'))].map((match) => match[1]);
}

/** @param {string[]} blocks @param {RegExp} pattern @returns {string} the one line of the blocks that matches */
function lineOf(blocks, pattern) {
  const lines = blocks.flatMap((block) => block.split('\n')).filter((line) => pattern.test(line));
  assert.equal(lines.length, 1, `expected one line matching ${pattern}, found ${lines.length}`);
  return lines[0];
}

const readme = join(root, 'README.md');
const packageReadme = join(library, 'README.md');

/** @type {import('./dynamodb-local.launcher.mjs').DynamoDbLocal | undefined} */
let local;
try {
  process.stdout.write(`consumer test in ${work}\n`);
  run('npm', ['run', 'build:lib']);
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: library }));
  const tarball = join(work, packed.filename);

  step('the tarball holds only the built ESM code, its declarations, package.json, README.md, CHANGELOG.md and LICENSE; package.json names repository, homepage and license', () => {
    const files = packed.files.map((/** @type {{ path: string }} */ f) => f.path);
    for (const file of files) {
      assert.match(file, /^(dist\/.+\.(js|d\.ts)|package\.json|README\.md|CHANGELOG\.md|LICENSE)$/, `unexpected file in the tarball: ${file}`);
      assert.doesNotMatch(file, /\.spec\.|\.map$|\.env|secret|\.pem$|\.key$/i, `file that must not ship: ${file}`);
    }
    const entries = ['dist/index.js', 'dist/index.d.ts', 'dist/health/index.js', 'dist/health/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts', 'LICENSE', 'CHANGELOG.md', 'README.md'];
    for (const entry of entries) assert.ok(files.includes(entry), `missing ${entry}`);
    const manifest = JSON.parse(readFileSync(join(library, 'package.json'), 'utf8'));
    for (const field of ['repository', 'homepage', 'license']) assert.ok(manifest[field], `package.json has no ${field}`);
    assert.match(manifest.repository.url, /^git\+https:\/\//);
    assert.equal(manifest.type, 'module');
    assert.deepEqual(Object.keys(manifest.exports), ['.', './health', './testing', './package.json']);
    assert.equal(manifest.peerDependenciesMeta?.['@jest/globals']?.optional, true, '@jest/globals is an optional peer');
    assert.ok(manifest.engines?.node, 'engines.node is set');
  });

  step('the main and ./health entries never load the Jest conformance kit of ./testing', () => {
    const dist = join(library, 'dist');
    const seen = new Set();
    const visit = (/** @type {string} */ file) => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      assert.doesNotMatch(code, /@jest\/globals/, `${file} imports @jest/globals`);
      for (const [, specifier] of code.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) visit(resolve(file, '..', specifier));
    };
    for (const entry of ['index.js', 'health/index.js']) visit(join(dist, entry));
    for (const file of seen) assert.ok(!file.startsWith(join(dist, 'testing')), `an app entry loads ${file}`);
    assert.ok(seen.size > 10, `the walk followed the imports (${seen.size} files)`);
  });

  // A fresh app, scaffolded as `nest new` does (ESM), then trimmed to what this check needs to compile and run.
  run(join(root, 'node_modules/.bin/nest'), ['new', 'consumer', '--skip-install', '--skip-git', '--package-manager', 'npm', '--strict'], { cwd: work });
  const app = join(work, 'consumer');
  for (const file of ['src/app.controller.spec.ts', 'vitest.config.ts', 'vitest.config.e2e.ts']) rmSync(join(app, file), { force: true });
  rmSync(join(app, 'test'), { recursive: true, force: true });
  for (const file of readdirSync(join(root, 'test/consumer'))) copyFileSync(join(root, 'test/consumer', file), join(app, 'src', file));
  const tsconfig = JSON.parse(readFileSync(join(app, 'tsconfig.json'), 'utf8'));
  tsconfig.compilerOptions.types = ['node'];
  tsconfig.compilerOptions.module = 'nodenext';
  tsconfig.compilerOptions.moduleResolution = 'nodenext';
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  assert.equal(manifest.type, 'module', 'nest new scaffolds an ESM app');
  const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  // What `npm run start` needs (the Nest CLI) and the compiler; the rest of nest new's dev tooling is not used here.
  manifest.devDependencies = {
    typescript: ours.devDependencies.typescript,
    '@types/node': ours.devDependencies['@types/node'],
    '@nestjs/cli': ours.devDependencies['@nestjs/cli'],
  };
  // For this test's own health checks (test/consumer): the README's quick start does not use terminus.
  manifest.dependencies['@nestjs/terminus'] = ours.dependencies['@nestjs/terminus'];
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));

  // The README's install line, as printed, with the package from the tarball: the published one is this build.
  const install = lineOf(blocksOf(readme, 'bash'), /^npm install @ticketoffice\/checkout-session-cache\b/);
  step("the package's README gives the same install line as the README's quick start", () => {
    assert.equal(lineOf(blocksOf(packageReadme, 'bash'), /^npm install /), install);
  });
  const installCommand = install.replace(/(?<=^npm install )@ticketoffice\/checkout-session-cache(?= )/, tarball);
  assert.notEqual(installCommand, install);
  run('bash', ['-c', installCommand], { cwd: app, env: { npm_config_audit: 'false', npm_config_fund: 'false', npm_config_prefer_offline: 'true' } });
  step("the README's install line brings the app the library, its AWS SDK peers and @nestjs/config", () => {
    const installed = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).dependencies;
    for (const name of ['@ticketoffice/checkout-session-cache', '@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@nestjs/config']) {
      assert.ok(installed[name], `${name} is not installed`);
    }
  });

  // Every TypeScript block of both READMEs, as printed: the quick start replaces the app's module, each other block is
  // a module file of its own.
  const [quickStart, ...examples] = blocksOf(readme, 'ts');
  const packageExamples = blocksOf(packageReadme, 'ts');
  assert.match(quickStart, /export class AppModule/, "the README's first TypeScript block is the quick start's module");
  writeFileSync(join(app, 'src/app.module.ts'), quickStart);
  mkdirSync(join(app, 'src/readme'));
  // A block whose first line names its file (`// map-checkout-session.store.ts`) is written as that file, so the blocks
  // that import it find it; it declares no module, so it is compiled, not booted. A named spec file is Jest's: nest
  // new's tsconfig.build.json excludes specs, so the README's are listed in its `files` (which win over `exclude`) for
  // the app's tsc to type-check and compile with the rest, and Jest runs the output below.
  const fileOf = (/** @type {string} */ block) => /^\/\/ ([\w.-]+)\.ts\n/.exec(block)?.[1];
  const exampleFiles = [
    ...examples.map((block, index) => ({ name: fileOf(block) ?? `readme-${index + 1}`, block, boots: !fileOf(block) })),
    ...packageExamples.map((block, index) => ({ name: fileOf(block) ?? `package-readme-${index + 1}`, block, boots: !fileOf(block) })),
  ];
  for (const { name, block } of exampleFiles) writeFileSync(join(app, 'src/readme', `${name}.ts`), block);
  const specs = exampleFiles.filter(({ name }) => name.endsWith('.spec'));
  const buildConfig = JSON.parse(readFileSync(join(app, 'tsconfig.build.json'), 'utf8'));
  buildConfig.files = specs.map(({ name }) => `src/readme/${name}.ts`);
  writeFileSync(join(app, 'tsconfig.build.json'), JSON.stringify(buildConfig, null, 2));
  // The README's kit spec under Jest, run from the app's folder with the repo's Jest 30 (not installed into the app:
  // the kit's `@jest/globals` is Jest's own module, which the running Jest provides), no transform and no module
  // mapping: the compiled spec's import of `@ticketoffice/checkout-session-cache/testing` resolves to the app's
  // node_modules. Passes when Jest ran the one suite, every test passed and each belongs to the README's kit call.
  writeFileSync(join(app, 'jest.config.json'), JSON.stringify({ testEnvironment: 'node', transform: {}, roots: ['<rootDir>/dist'], testMatch: ['<rootDir>/dist/readme/**/*.spec.js'] }, null, 2));
  /** @param {string} dir @param {string[]} nodeOptions */
  const runKitSpec = (dir, nodeOptions) => {
    assert.equal(specs.length, 1, `expected one spec block in the READMEs, found ${specs.length}`);
    const suite = /describeCheckoutSessionStoreContract\('([^']+)'/.exec(specs[0].block)?.[1];
    assert.ok(suite, "the README's spec block calls no describeCheckoutSessionStoreContract('…')");
    const compiled = readFileSync(join(dir, 'dist/readme', `${specs[0].name}.js`), 'utf8');
    assert.match(compiled, /(from |require\()["']@ticketoffice\/checkout-session-cache\/testing["']/);
    assert.equal(
      createRequire(join(dir, 'package.json')).resolve('@ticketoffice/checkout-session-cache/testing'),
      join(app, 'node_modules/@ticketoffice/checkout-session-cache/dist/testing/index.js'),
    );
    const report = join(dir, 'jest-report.json');
    const args = [...nodeOptions, join(root, 'node_modules/jest/bin/jest.js'), '--config', 'jest.config.json', '--ci', '--json', '--outputFile', report, '--cacheDirectory', join(work, 'jest-cache')];
    const result = spawnSync(process.execPath, args, { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' });
    assert.ok(existsSync(report), `Jest wrote no report (${result.status}):\n${result.stdout}\n${result.stderr}`);
    /** @type {{ numTotalTestSuites: number, numFailedTestSuites: number, numPassedTests: number, numFailedTests: number, numPendingTests: number, testResults: { message: string, assertionResults: { ancestorTitles: string[], status: string }[] }[] }} */
    const jest = JSON.parse(readFileSync(report, 'utf8'));
    const failures = jest.testResults.map((r) => r.message).filter(Boolean).join('\n');
    assert.equal(jest.numFailedTestSuites, 0, `Jest: ${jest.numFailedTestSuites} suite(s) failed:\n${failures}`);
    assert.equal(jest.numFailedTests, 0, `Jest: ${jest.numFailedTests} test(s) failed:\n${failures}`);
    assert.equal(jest.numTotalTestSuites, 1, `Jest ran ${jest.numTotalTestSuites} suites`);
    assert.equal(jest.numPendingTests, 0, `Jest skipped ${jest.numPendingTests} tests`);
    assert.ok(jest.numPassedTests > 0, 'Jest ran no test');
    for (const test of jest.testResults[0].assertionResults) assert.equal(test.ancestorTitles[0], `CheckoutSessionStore contract (${suite})`);
    assert.equal(result.status, 0, `Jest exited ${result.status}:\n${result.stderr}`);
    return jest.numPassedTests;
  };
  const tsc = join(app, 'node_modules/.bin/tsc');
  run(tsc, ['-p', 'tsconfig.build.json'], { cwd: app });

  step("the README's kit spec, compiled by the app's tsc, passes under ESM Jest (node --experimental-vm-modules) from the installed ./testing", () => {
    const passed = runKitSpec(app, ['--experimental-vm-modules']);
    process.stdout.write(`    ${specs[0].name}: ${passed} tests passed\n`);
  });

  step('the app has one copy of @aws-sdk/client-dynamodb, its own, which the library uses too', () => {
    const installed = join(app, 'node_modules/@ticketoffice/checkout-session-cache/node_modules/@aws-sdk/client-dynamodb');
    assert.ok(!existsSync(installed), 'the library brought a second copy of the SDK');
    assert.ok(existsSync(join(app, 'node_modules/@aws-sdk/client-dynamodb/package.json')));
  });

  step("TypeScript finds the package's types (`.`, `./health` and, for the README's spec, `./testing`) under node16 and bundler resolution too (nodenext: the build)", () => {
    run(tsc, ['-p', 'tsconfig.build.json', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16'], { cwd: app });
    run(tsc, ['-p', 'tsconfig.build.json', '--noEmit', '--module', 'preserve', '--moduleResolution', 'bundler'], { cwd: app });
  });

  /** @param {string} dir @param {string} mode @param {NodeJS.ProcessEnv} env */
  const bootIn = (dir, mode, env = {}) => {
    const output = run(process.execPath, ['dist/lifecycle.main.js', mode], { cwd: dir, env });
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    assert.ok(line, `no RESULT line in:\n${output}`);
    return { output, result: JSON.parse(line.slice('RESULT '.length)) };
  };
  /** @param {string} mode @param {NodeJS.ProcessEnv} [env] */
  const boot = (mode, env) => bootIn(app, mode, env);
  const lifecycle = {
    created: 'CREATED',
    sameOnRead: true,
    confirming: 'CONFIRMING',
    held: { sessions: 1, quantity: 2 },
    afterDelete: null,
    heldAfterDelete: { sessions: 0, quantity: 0 },
  };

  step("forRoot('memory'): a service injects the port and runs the lifecycle", () => {
    const { output, result } = boot('memory');
    assert.deepEqual(result, { mode: 'memory', ...lifecycle });
    assert.match(output, /Using the memory driver/);
  });

  const dynamo = await startDynamoDbLocal();
  local = dynamo;
  step('forRootAsync + ConfigModule on DynamoDB Local: the lifecycle runs, the health indicator is up, start-up logs say where', () => {
    const { output, result } = boot('dynamodb', { ...DYNAMODB_LOCAL_ENV, SESSIONS_TABLE: 'consumer-sessions', SESSIONS_ENDPOINT: dynamo.endpoint });
    assert.deepEqual(result, { mode: 'dynamodb', ...lifecycle, health: { checkoutSessionCache: { status: 'up', driver: 'dynamodb' } } });
    assert.match(output, /Using the dynamodb driver/);
    assert.match(output, new RegExp(`DynamoDB table "consumer-sessions", region us-east-1, endpoint ${dynamo.endpoint}`));
  });

  const booted = exampleFiles.filter(({ boots }) => boots);
  step(`every TypeScript example of both READMEs compiles (${exampleFiles.length}), each module among them boots (${booted.length}), and the services it declares hold tickets`, () => {
    assert.ok(examples.length >= 2 && packageExamples.length >= 1, 'the READMEs lost their examples');
    for (const { name } of booted) {
      const env = { ...DYNAMODB_LOCAL_ENV, DYNAMODB_ENDPOINT: dynamo.endpoint, DYNAMODB_AUTO_CREATE_TABLE: 'true', SESSIONS_TABLE: `${name}-sessions` };
      const output = run(process.execPath, ['dist/readme-example.main.js', `./readme/${name}.js`], { cwd: app, env: { ...env, DYNAMODB_CHECKOUT_SESSIONS_TABLE: `${name}-sessions` } });
      const line = output.split('\n').find((l) => l.startsWith('RESULT '));
      assert.ok(line, `${name}: no RESULT line in:\n${output}`);
      for (const service of Object.values(JSON.parse(line.slice('RESULT '.length)))) assert.equal(service.status, 'CREATED', `${name}: ${line}`);
      const driver = /Using the (\w+) driver/.exec(output)?.[1];
      assert.ok(driver, `${name}: no driver line in:\n${output}`);
      // On DynamoDB, the settings came from env (forRoot, or readCheckoutSessionCacheEnv in forRootAsync).
      if (driver === 'dynamodb') assert.match(output, new RegExp(`endpoint ${dynamo.endpoint}`), `${name}:\n${output}`);
      process.stdout.write(`    ${name}: ${driver} driver, ${line.slice('RESULT '.length)}\n`);
    }
  });

  await stepAsync("the quick start, served by `npm run start` as printed, answers the README's curl with a session", async () => {
    const commands = blocksOf(readme, 'bash').find((block) => /^npm run start$/m.test(block))?.split('\n').filter((line) => line.trim() !== '');
    assert.ok(commands, "the README's quick start has no `npm run start` block");
    const [start, ...calls] = commands;
    assert.equal(start, 'npm run start');
    assert.ok(calls.length >= 1 && calls.every((call) => call.startsWith('curl -s')), `expected curls after npm run start, got ${JSON.stringify(calls)}`);
    // The app's server in the background (its output in a log), then the README's curls against it on port 3000, each
    // failing the step on an HTTP error (--fail-with-body) and followed by a marker, so the last answer is the session.
    const script = [
      'LOGS="$SCRATCH"',
      '{',
      start,
      '} > "$LOGS/app.log" 2>&1 &',
      'await_port 3000 240 || { cat "$LOGS/app.log"; exit 1; }',
      ...calls.flatMap((call) => ['echo "::: curl"', `${call.replace(/^curl -s /, 'curl -s --fail-with-body ')} || exit 1`]),
    ].join('\n');
    const env = freshShellEnv();
    const { status, output } = await runOnFixedPorts(script, { ports: [3000], cwd: app, env: { ...env, NO_COLOR: '1' }, timeoutMs: 300_000 });
    assert.equal(status, 0, output);
    const answer = JSON.parse(/** @type {string} */ (output.split('::: curl\n').at(-1)).trim());
    assert.equal(answer.status, 'CREATED', output);
    assert.deepEqual([answer.eventId, answer.priceId, answer.quantity], ['concert-2026', 'standard', 2]);
  });

  // The same app as CommonJS: `"type": "commonjs"`, compiled by tsc (nodenext) to require() calls, on the same node_modules.
  const cjs = join(work, 'consumer-cjs');
  mkdirSync(cjs);
  cpSync(join(app, 'src'), join(cjs, 'src'), { recursive: true });
  // nest new's server entry awaits at its top level, which CommonJS cannot; the quick start ran from it above.
  rmSync(join(cjs, 'src/main.ts'));
  for (const file of ['tsconfig.json', 'tsconfig.build.json']) copyFileSync(join(app, file), join(cjs, file));
  writeFileSync(join(cjs, 'package.json'), JSON.stringify({ ...manifest, name: 'consumer-cjs', type: 'commonjs' }, null, 2));
  symlinkSync(join(app, 'node_modules'), join(cjs, 'node_modules'), 'dir');
  run(tsc, ['-p', 'tsconfig.build.json'], { cwd: cjs });

  step("a CommonJS app require()s the package and './health' and runs the lifecycle on the memory driver", () => {
    assert.match(readFileSync(join(cjs, 'dist/memory.module.js'), 'utf8'), /require\("@ticketoffice\/checkout-session-cache"\)/);
    assert.match(readFileSync(join(cjs, 'dist/lifecycle.main.js'), 'utf8'), /require\("@ticketoffice\/checkout-session-cache\/health"\)/);
    const { result } = bootIn(cjs, 'memory');
    assert.deepEqual(result, { mode: 'memory', ...lifecycle });
  });

  step("the CommonJS app passes a DynamoDBClient of its own in `client`: the lifecycle runs and the health indicator is up", () => {
    const { output, result } = bootIn(cjs, 'dynamodb-client', { ...DYNAMODB_LOCAL_ENV, SESSIONS_TABLE: 'consumer-cjs-sessions', SESSIONS_ENDPOINT: dynamo.endpoint });
    assert.deepEqual(result, { mode: 'dynamodb-client', ...lifecycle, health: { checkoutSessionCache: { status: 'up', driver: 'dynamodb' } } });
    assert.match(output, /DynamoDB table "consumer-cjs-sessions", the client given in options/);
  });
} catch (error) {
  results.failed += 1;
  process.stdout.write(`${/** @type {Error} */ (error).stack}\n`);
} finally {
  await local?.stop();
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`consumer: ${results.passed} passed, ${results.failed} failed\n`);
process.exitCode = results.failed === 0 ? 0 : 1;
