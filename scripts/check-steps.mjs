// The steps of a script that checks something (the consumer test, the README run): each prints ✓ or ✕ with what
// failed, and `results` counts them for the closing "N passed, N failed" line.

/** @typedef {{ passed: number, failed: number }} StepResults */

/** @returns {{ results: StepResults, step: (name: string, check: () => void) => void, stepAsync: (name: string, check: () => Promise<void>) => Promise<void> }} */
export function checkSteps() {
  const results = { passed: 0, failed: 0 };
  /** @param {string} name @param {unknown} [error] */
  const report = (name, error) => {
    if (error === undefined) {
      results.passed += 1;
      process.stdout.write(`  ✓ ${name}\n`);
    } else {
      results.failed += 1;
      process.stdout.write(`  ✕ ${name}\n${/** @type {Error} */ (error).message}\n`);
    }
  };
  return {
    results,
    step(name, check) {
      try {
        check();
        report(name);
      } catch (error) {
        report(name, error);
      }
    },
    async stepAsync(name, check) {
      try {
        await check();
        report(name);
      } catch (error) {
        report(name, error);
      }
    },
  };
}
