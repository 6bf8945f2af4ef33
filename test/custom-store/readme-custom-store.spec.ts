import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the README\'s custom store', () => {
  // tsc --noEmit compiles these files and Jest runs the spec: the README must show them as they are.
  it.each(['map-checkout-session.store.ts', 'map-checkout-session.store.spec.ts'])('shows %s verbatim', (file) => {
    const source = readFileSync(new URL(file, import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n// ${file}\n${source}\`\`\``);
  });
});
