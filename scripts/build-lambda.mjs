// Bundles the sample app's Lambda entry (apps/checkout-api/src/lambda.ts) into dist/lambda/index.mjs, exporting
// `handler` (Lambda's `index.handler`), with the chunks it loads in dist/lambda/chunks/. TypeScript goes through
// @swc/core, as in the tests: Nest's dependency injection needs the decorator metadata that esbuild alone does not emit.
// Usage: node scripts/build-lambda.mjs [entry] [outdir]
import { transformFile } from '@swc/core';
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';

/** Packages Nest requires only when an app uses them (microservices, websockets, class-validator pipes): never here. */
const NEVER_LOADED = ['@nestjs/microservices', '@nestjs/microservices/*', '@nestjs/websockets/*', 'class-transformer', 'class-validator'];

/** TypeScript with legacy decorators and their metadata, the settings of jest.config.js. @type {import('esbuild').Plugin} */
const swcTypeScript = {
  name: 'swc-typescript',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const { code } = await transformFile(path, {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2023',
          keepClassNames: true,
        },
        module: { type: 'es6' },
        sourceMaps: false,
      });
      return { contents: code, loader: 'js' };
    });
  },
};

/**
 * The bundle's entry module. In a split bundle the chunks a module imports statically run before its body, so Nest's
 * decorated classes could run before `reflect-metadata` has installed its API; importing the app dynamically, after
 * `reflect-metadata`, keeps the order.
 * @param {string} entry
 */
const entryModule = (entry) =>
  `import 'reflect-metadata';\nexport const { handler } = await import(${JSON.stringify(`./${relative('.', entry)}`)});\n`;

/**
 * Builds the bundle; returns the entry's path and the size in bytes of what it ships (the entry and the chunks it may
 * load).
 *
 * - ES module builds of dependencies first (`module` before `main`), so that unused code (most of the AWS SDK's
 *   commands and protocols) is left out;
 * - split at dynamic imports: what the SDK imports only when needed (credential providers for SSO, profiles, web
 *   identity and their STS and SSO clients) sits in chunks that Lambda never parses unless they run.
 * @param {string} [entry]
 * @param {string} [outdir]
 */
export async function buildLambda(entry = 'apps/checkout-api/src/lambda.ts', outdir = 'dist/lambda') {
  rmSync(outdir, { recursive: true, force: true });
  const { metafile } = await build({
    stdin: { contents: entryModule(entry), resolveDir: '.', sourcefile: 'index.mjs', loader: 'js' },
    outdir,
    entryNames: 'index',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    tsconfig: 'tsconfig.json',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    external: NEVER_LOADED,
    // CommonJS packages inside an ES module bundle call require() for Node's built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [swcTypeScript],
    logLevel: 'warning',
  });
  const outfile = `${outdir}/index.mjs`;
  // The metafile names outputs relative to the working directory, whatever form `outdir` has.
  const written = Object.keys(metafile.outputs).find((path) => resolve(path) === resolve(outfile));
  if (!written) throw new Error(`esbuild wrote no ${outfile}`);
  const reachable = reachableOutputs(metafile, written);
  let bytes = 0;
  for (const [path, output] of Object.entries(metafile.outputs)) {
    if (reachable.has(path)) bytes += output.bytes;
    else rmSync(path);
  }
  return { outfile, bytes };
}

/**
 * The outputs `entry` loads, statically or dynamically. esbuild also writes a chunk for every dynamic import it saw,
 * even when the code that imports it was left out (the SDK's browser user-agent parser, `file-type`): those are
 * never loaded, so they are not shipped.
 * @param {import('esbuild').Metafile} metafile
 * @param {string} entry
 */
function reachableOutputs(metafile, entry) {
  const reachable = new Set();
  const pending = [entry];
  while (pending.length > 0) {
    const path = /** @type {string} */ (pending.pop());
    if (reachable.has(path)) continue;
    reachable.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? []) if (!imported.external) pending.push(imported.path);
  }
  return reachable;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { outfile, bytes } = await buildLambda(process.argv[2], process.argv[3]);
  console.error(`${outfile} and its chunks: ${(bytes / 1024).toFixed(0)} KiB`);
}
