/**
 * Runs one example by name: `npm run example -- <name>` (from the repository
 * root). The npm script starts Node with tsx and the `@logpath/source`
 * condition, so the examples run against the packages' sources without a build.
 */
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const names = readdirSync(here).filter((n) => statSync(here + n).isDirectory());
const name = process.argv[2];
if (name === undefined || !names.includes(name)) {
  console.error(`usage: npm run example -- <name>, one of: ${names.sort().join(', ')}`);
  process.exit(2);
}
await import(`./${name}/main.ts`);
