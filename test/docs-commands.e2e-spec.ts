import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** The flags each script takes after `--`, where it takes any: a flag outside the list is a typo a user would copy. */
const FLAGS: Record<string, RegExp> = {
  'table:create': /^(--aws|--backfill|--wait-minutes \d+)$/,
  bench: /^--quick$/,
  'bench:cold-start': /^\d+$/,
};

/** Every `npm run <script> [-- args]` a file tells a user to type, with its file. */
const commands = files.flatMap((file) =>
  [...readFileSync(join(root, file), 'utf8').matchAll(/npm run ([\w-]+(?::[\w-]+)*)((?: -- [^`\n#;)]*)?)/g)].map((match) => ({
    file,
    script: match[1]!,
    args: match[2]!.replace(/^ -- /, '').trim(),
  })),
);

describe('the npm commands README.md and docs/ print', () => {
  it('are many, from README.md and docs/', () => {
    expect(new Set(commands.map((command) => command.file)).size).toBeGreaterThan(3);
    expect(commands.length).toBeGreaterThan(20);
  });

  it.each(commands.map((command) => [`${command.file}: npm run ${command.script}${command.args && ` -- ${command.args}`}`, command] as const))(
    '%s names a script of package.json, with flags it takes',
    (_name, { script, args }) => {
      expect(Object.keys(scripts)).toContain(script);
      if (!args) return;
      expect(FLAGS).toHaveProperty([script]);
      for (const arg of args.split(/ (?=--)/)) expect(arg).toMatch(FLAGS[script]!);
    },
  );
});
