// Bundles the sample app's Lambda entry (apps/checkout-api/src/lambda.ts) into dist/lambda/index.mjs, exporting
// `handler` (Lambda's `index.handler`). TypeScript goes through @swc/core, as in the tests: Nest's dependency injection
// needs the decorator metadata that esbuild alone does not emit. Usage: node scripts/build-lambda.mjs [entry] [outdir]
import { transformFile } from '@swc/core';
import { build } from 'esbuild';
import { rmSync, statSync } from 'node:fs';

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
 * Builds the bundle; returns its path and size in bytes.
 * @param {string} [entry]
 * @param {string} [outdir]
 */
export async function buildLambda(entry = 'apps/checkout-api/src/lambda.ts', outdir = 'dist/lambda') {
  rmSync(outdir, { recursive: true, force: true });
  const outfile = `${outdir}/index.mjs`;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    tsconfig: 'tsconfig.json',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    external: NEVER_LOADED,
    // CommonJS packages inside an ES module bundle call require() for Node's built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [swcTypeScript],
    logLevel: 'warning',
  });
  return { outfile, bytes: statSync(outfile).size };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { outfile, bytes } = await buildLambda(process.argv[2], process.argv[3]);
  console.error(`${outfile}: ${(bytes / 1024).toFixed(0)} KiB`);
}
