// Bundles the browser client (one ESM file, no dependencies) and the dev demo's script into
// client/dist, which the gateway serves at /client/. Run: `npm run build:client`.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
export const CLIENT_BUNDLE_PATH = '/client/notify-client.js';

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

export async function buildClient() {
  const common = {
    bundle: true,
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: [here('src/index.ts')],
      outfile: here('dist/notify-client.js'),
    }),
    build({
      ...common,
      entryPoints: [here('demo/demo.ts')],
      outfile: here('dist/demo.js'),
      plugins: [servedClient],
    }),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildClient();
