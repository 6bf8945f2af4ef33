/**
 * Runs `run` with `env` set in `process.env` (`undefined` unsets a variable), then puts every variable back as it was.
 */
export async function withEnv<T>(env: Record<string, string | undefined>, run: () => Promise<T>): Promise<T> {
  const assign = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  assign(env);
  try {
    return await run();
  } finally {
    assign(saved);
  }
}
