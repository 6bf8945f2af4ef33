// `npm run test:consumer`: proves the packed library works outside this repo, the way a consuming team uses it.
// Builds and packs the library, checks the tarball, scaffolds a fresh NestJS 12 app with `nest new` (ESM), installs the
// tarball there, type-checks it under TypeScript's nodenext, node16 and bundler resolution, and boots it twice:
// forRoot('memory'), and forRootAsync reading env through ConfigModule on the DynamoDB driver against DynamoDB Local.
// The same sources are then compiled as a CommonJS app (`require()` of the package and of `./health`), which boots on
// the memory driver and on a DynamoDB client of its own `@aws-sdk/client-dynamodb`, passed in the `client` option. In
// each boot, a service injects the port and runs create → get → updateStatus → count → delete.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DYNAMODB_LOCAL_ENV, startDynamoDbLocal } from './dynamodb-local.launcher.mjs';

const root = resolve(import.meta.dirname, '..');
const library = join(root, 'libs/checkout-session-cache');
const work = mkdtempSync(join(tmpdir(), 'checkout-session-consumer-'));
const results = { passed: 0, failed: 0 };

/** @param {string} name @param {() => void} check */
function step(name, check) {
  try {
    check();
    results.passed += 1;
    process.stdout.write(`  ✓ ${name}\n`);
  } catch (error) {
    results.failed += 1;
    process.stdout.write(`  ✕ ${name}\n${/** @type {Error} */ (error).message}\n`);
  }
}

/** @param {string} command @param {string[]} args @param {{ cwd?: string, env?: NodeJS.ProcessEnv }} [options] */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** @type {import('./dynamodb-local.launcher.mjs').DynamoDbLocal | undefined} */
let local;
try {
  process.stdout.write(`consumer test in ${work}\n`);
  run('npm', ['run', 'build:lib']);
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: library }));
  const tarball = join(work, packed.filename);

  step('the tarball holds only the built ESM code, its declarations, package.json and README.md', () => {
    const files = packed.files.map((/** @type {{ path: string }} */ f) => f.path);
    for (const file of files) {
      assert.match(file, /^(dist\/.+\.(js|d\.ts)|package\.json|README\.md)$/, `unexpected file in the tarball: ${file}`);
      assert.doesNotMatch(file, /\.spec\.|\.map$|\.env|secret|\.pem$|\.key$/i, `file that must not ship: ${file}`);
    }
    const entries = ['dist/index.js', 'dist/index.d.ts', 'dist/health/index.js', 'dist/health/index.d.ts', 'dist/testing/index.js', 'dist/testing/index.d.ts'];
    for (const entry of entries) assert.ok(files.includes(entry), `missing ${entry}`);
    const manifest = JSON.parse(readFileSync(join(library, 'package.json'), 'utf8'));
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
  manifest.devDependencies = { typescript: ours.devDependencies.typescript, '@types/node': ours.devDependencies['@types/node'] };
  manifest.dependencies['@ticketoffice/checkout-session-cache'] = `file:${tarball}`;
  manifest.dependencies['@nestjs/config'] = ours.dependencies['@nestjs/config'];
  manifest.dependencies['@nestjs/terminus'] = ours.dependencies['@nestjs/terminus'];
  // The app's own SDK, for the client it passes in; the library takes it as a peer, so both use this one copy.
  manifest.dependencies['@aws-sdk/client-dynamodb'] = ours.dependencies['@aws-sdk/client-dynamodb'];
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: app });
  const tsc = join(app, 'node_modules/.bin/tsc');
  run(tsc, ['-p', 'tsconfig.build.json'], { cwd: app });

  step('the app has one copy of @aws-sdk/client-dynamodb, its own, which the library uses too', () => {
    const installed = join(app, 'node_modules/@ticketoffice/checkout-session-cache/node_modules/@aws-sdk/client-dynamodb');
    assert.ok(!existsSync(installed), 'the library brought a second copy of the SDK');
    assert.ok(existsSync(join(app, 'node_modules/@aws-sdk/client-dynamodb/package.json')));
  });

  step("TypeScript finds the package's types (`.` and `./health`) under node16 and bundler resolution too (nodenext: the build)", () => {
    run(tsc, ['-p', 'tsconfig.build.json', '--noEmit', '--module', 'node16', '--moduleResolution', 'node16'], { cwd: app });
    run(tsc, ['-p', 'tsconfig.build.json', '--noEmit', '--module', 'preserve', '--moduleResolution', 'bundler'], { cwd: app });
  });

  /** @param {string} dir @param {string} mode @param {NodeJS.ProcessEnv} env */
  const bootIn = (dir, mode, env = {}) => {
    const output = run(process.execPath, ['dist/main.js', mode], { cwd: dir, env });
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

  // The same app as CommonJS: `"type": "commonjs"`, compiled by tsc (nodenext) to require() calls, on the same node_modules.
  const cjs = join(work, 'consumer-cjs');
  mkdirSync(cjs);
  cpSync(join(app, 'src'), join(cjs, 'src'), { recursive: true });
  for (const file of ['tsconfig.json', 'tsconfig.build.json']) copyFileSync(join(app, file), join(cjs, file));
  writeFileSync(join(cjs, 'package.json'), JSON.stringify({ ...manifest, name: 'consumer-cjs', type: 'commonjs' }, null, 2));
  symlinkSync(join(app, 'node_modules'), join(cjs, 'node_modules'), 'dir');
  run(tsc, ['-p', 'tsconfig.build.json'], { cwd: cjs });

  step("a CommonJS app require()s the package and './health' and runs the lifecycle on the memory driver", () => {
    assert.match(readFileSync(join(cjs, 'dist/memory.module.js'), 'utf8'), /require\("@ticketoffice\/checkout-session-cache"\)/);
    assert.match(readFileSync(join(cjs, 'dist/main.js'), 'utf8'), /require\("@ticketoffice\/checkout-session-cache\/health"\)/);
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
