// Bundles the browser client (one ESM file, no dependencies) and the dev demo into dist/client/,
// beside the compiled server, which serves them at /client/ and /. Run: `npm run build:client`.
import { build } from 'esbuild';
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const OUT = here('../dist/client/');
const CLIENT_BUNDLE_PATH = '/client/notify-client.js';

/** The demo loads the library from the path the gateway serves, like any other page would. */
const servedClient = {
  name: 'served-client',
  setup(b) {
    b.onResolve({ filter: /\/src\/index\.js$/ }, () => ({
      path: CLIENT_BUNDLE_PATH,
      external: true,
    }));
  },
};

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
};

await mkdir(OUT, { recursive: true });
await Promise.all([
  build({ ...common, entryPoints: [here('src/index.ts')], outfile: `${OUT}notify-client.js` }),
  build({
    ...common,
    entryPoints: [here('demo/demo.ts')],
    outfile: `${OUT}demo.js`,
    plugins: [servedClient],
  }),
  copyFile(here('demo/index.html'), `${OUT}demo.html`),
]);
