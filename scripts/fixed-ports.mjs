// Plain ESM (no TypeScript): shared by Jest suites and scripts/consumer-test.mjs; typed through JSDoc.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';

/** Whether this machine gives an unprivileged process a network namespace of its own, with loopback up. */
function ownNetworkAvailable() {
  return spawnSync('unshare', ['-rn', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' }).status === 0;
}

/** @param {number} port @returns {Promise<boolean>} whether nothing listens on `port` on this machine's network */
function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/**
 * Bash helpers the scripts may use: `await_port PORT SECONDS` waits until something answers HTTP on localhost:PORT,
 * or exits naming the port. Every process the script starts stays in its process group, which is stopped when the
 * script ends.
 */
export const BASH_PRELUDE = `trap 'status=$?; trap "" TERM; kill -TERM 0 2>/dev/null; exit $status' EXIT
await_port() { for _ in $(seq 1 "$2"); do curl -s -o /dev/null "http://localhost:$1" && return 0; sleep 1; done; echo "nothing answered on localhost:$1 within $2 s"; exit 1; }
`;

/**
 * This process's environment without the variables a run sets for itself (AWS, DynamoDB, the library's, PORT and
 * NODE_ENV): what a user's fresh shell has, for running the README's commands as printed.
 * @returns {NodeJS.ProcessEnv}
 */
export function freshShellEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|DYNAMODB_|CHECKOUT_|PORT$|NODE_ENV$)/.test(name)));
}

/**
 * Runs a bash script that uses fixed ports (the README's 8000 and 3000) where they are surely free: in a network
 * namespace of its own, with only loopback, when the machine allows one (`unshare -rn`); else on this machine's
 * network if none of `ports` is in use; otherwise it rejects, naming the busy port. The script is killed after
 * `timeoutMs`, and resolves with its exit status and everything it printed. `$SCRATCH` names a folder for the
 * script's files (logs), removed when the script ends.
 * @param {string} script
 * @param {{ ports: number[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number }} options
 * @returns {Promise<{ status: number | null, output: string, isolated: boolean }>}
 */
export async function runOnFixedPorts(script, { ports, cwd, env, timeoutMs }) {
  const isolated = ownNetworkAvailable();
  if (!isolated) {
    for (const port of ports) {
      if (!(await portFree(port))) {
        throw new Error(`port ${port} is in use and this machine allows no network namespace of its own (unshare -rn): free it to run the commands as printed`);
      }
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'fixed-ports-'));
  const file = join(dir, 'script.sh');
  writeFileSync(file, `${BASH_PRELUDE}\n${script}\n`);
  const [command, args] = isolated ? ['unshare', ['-rn', 'bash', '-c', 'ip link set lo up && exec bash "$0"', file]] : ['bash', [file]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...env, SCRATCH: dir }, detached: true });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk.toString()));
    child.stderr.on('data', (chunk) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed after ${timeoutMs} ms]\n`;
      const signal = (/** @type {NodeJS.Signals} */ name) => {
        try {
          if (child.pid) process.kill(-child.pid, name);
        } catch {
          // Already gone.
        }
      };
      signal('SIGTERM');
      setTimeout(() => signal('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ status, output, isolated });
    });
  });
}
