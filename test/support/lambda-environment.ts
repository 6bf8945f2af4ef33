import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { within } from './bounded-wait.js';

const RUNNER = fileURLToPath(new URL('./lambda-runner.mjs', import.meta.url));

/** What the init phase of one execution environment took: time from the start of the import, TCP connections, RSS. */
export interface LambdaInit {
  initMs: number;
  initConnections: number;
  rssBytes: number;
}

/** An answered event and the time from the start of the bundle's import to the answer. */
export interface LambdaInvocation {
  result: APIGatewayProxyStructuredResultV2;
  elapsedMs: number;
}

type RunnerMessage =
  | ({ kind: 'ready' } & LambdaInit)
  | ({ kind: 'result'; id: number } & LambdaInvocation)
  | { kind: 'error'; id: number; message: string };

/**
 * Builds `entry` with `npm run build:lambda`'s script into `outdir`, then copies that folder to a fresh temporary folder
 * outside the repository, as Lambda would unpack it: a bundle that still needs something from node_modules fails there.
 * Returns the copy's `index.mjs`, the size of everything in the copy (the entry and its chunks) and a function that
 * removes the copy.
 */
export function buildIsolatedBundle(
  entry = 'apps/checkout-api/src/lambda.ts',
  outdir = 'dist/lambda',
): { entry: string; bytes: number; remove: () => void } {
  const build = spawnSync(process.execPath, ['scripts/build-lambda.mjs', entry, outdir], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build:lambda failed:\n${build.stderr}`);
  const copy = mkdtempSync(join(tmpdir(), 'lambda-bundle-'));
  cpSync(outdir, copy, { recursive: true });
  const files = readdirSync(copy, { recursive: true, encoding: 'utf8' }).map((file) => statSync(join(copy, file)));
  const bytes = files.filter((file) => file.isFile()).reduce((sum, file) => sum + file.size, 0);
  return { entry: join(copy, 'index.mjs'), bytes, remove: () => rmSync(copy, { recursive: true, force: true }) };
}

/** One execution environment of a Lambda bundle, in its own process with its own env. */
export class LambdaEnvironment {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: LambdaInvocation) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    /** The init phase as measured inside the environment. */
    readonly init: LambdaInit,
    /** Everything the function printed (stdout and stderr), for failure messages. */
    readonly output: string[],
  ) {
    child.on('message', (message: RunnerMessage) => {
      if (message.kind === 'ready') return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.kind === 'result') waiting?.resolve({ result: message.result, elapsedMs: message.elapsedMs });
      else waiting?.reject(new Error(message.message));
    });
    child.once('exit', (code) => {
      for (const waiting of this.pending.values()) waiting.reject(new Error(`the function exited (${code}):\n${this.output.join('')}`));
      this.pending.clear();
    });
  }

  /**
   * Starts the environment: imports `entry` with `env` set, plus what Lambda itself sets (region and credentials, here
   * taken from this process: DynamoDB Local's dummy ones) and PATH; resolves when init is done, and rejects (ending
   * the process) when init takes more than `timeoutMs`. `node` is the Node binary to run it on (this process's by
   * default).
   */
  static async start(entry: string, env: Record<string, string>, node = process.execPath, timeoutMs = 20_000): Promise<LambdaEnvironment> {
    const { PATH, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY } = process.env;
    const child = fork(RUNNER, [entry], {
      execPath: node,
      // A plain Node: none of this process's flags or loaders (Jest's, tsx's).
      execArgv: [],
      env: { PATH, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const output: string[] = [];
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const ready = new Promise<LambdaEnvironment>((resolve, reject) => {
      child.once('message', (message: RunnerMessage) => {
        if (message.kind !== 'ready') return;
        resolve(new LambdaEnvironment(child, message, output));
      });
      child.once('exit', (code) => reject(new Error(`init failed (exit ${code}):\n${output.join('')}`)));
    });
    try {
      return await within(`the function's init is done (${entry})`, ready, timeoutMs);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${output.join('')}`, { cause: error });
    }
  }

  /** Sends one event to the handler and resolves with its answer. */
  invoke(event: APIGatewayProxyEventV2): Promise<LambdaInvocation> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, event });
    });
  }

  /** Ends the environment's process. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
