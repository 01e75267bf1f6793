// The last step of `npm run build`: the CLI as one minified CommonJS file, dist/bundle/main.cjs,
// which bin/circle-fargate runs through our V8 code cache (src/codeCache.ts). Loading ~100 small
// modules of dist/ one by one is most of the CLI's start-up beyond Node.js's own; one file is
// not, and one CommonJS file is what `vm.Script` can give V8's cached code (Node.js 20 caches no
// ES module). The lazily loaded commands stay lazy: esbuild evaluates a dynamically imported
// module on its first import. dist/ itself stays as it is (the library's exports, the
// description's loading process). Packages outside the bundle (esbuild, tsx, the AWS SDK) are
// required where they were imported.
//
// Each bundled module keeps the `import.meta.url` of its own file in dist/ (the paths it reads
// beside itself: generated/, orb/src, package.json), rewritten as a URL relative to the bundle;
// `import.meta.resolve` becomes a `require.resolve` from the bundle.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(root, 'dist');
const outdir = path.join(dist, 'bundle');

/** Each module keeps its own file's `import.meta.url` (and `import.meta.resolve`), relative to the bundle. */
const ownImportMeta = {
  name: 'own-import-meta',
  setup(context) {
    context.onLoad({ filter: /\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const own = JSON.stringify(path.relative(outdir, args.path).split(path.sep).join('/'));
      return { contents: text.replaceAll('import.meta.url', `__cfUrl(${own})`).replaceAll('import.meta.resolve(', '__cfResolve('), loader: 'js' };
    });
  },
};
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['esbuild', 'tsx', 'tsx/*', '@aws-sdk/*'],
  // Minified: less to parse when there is no cache (measured on the ES module bundle: 254
  // against 298 ms).
  minify: true,
  banner: {
    js: [
      'var __cfUrl = (own) => require("node:url").pathToFileURL(require("node:path").join(__dirname, own)).href;',
      'var __cfResolve = (name) => require("node:url").pathToFileURL(require.resolve(name)).href;',
    ].join(' '),
  },
  logLevel: 'warning',
  plugins: [ownImportMeta],
};

await rm(outdir, { recursive: true, force: true });
await Promise.all([
  // The CLI. `import()` becomes a require once the module is needed: `vm.Script` has no loader for it.
  build({ ...common, entryPoints: [path.join(dist, 'cli/main.js')], outfile: path.join(outdir, 'main.cjs'), supported: { 'dynamic-import': false } }),
  // What bin/circle-fargate (CommonJS) loads the CLI with.
  build({ ...common, entryPoints: [path.join(dist, 'codeCache.js')], outfile: path.join(outdir, 'codeCache.cjs') }),
  // The description's loading process (load.ts runs this copy when it is there). It keeps its
  // `import()` of tsx and of a description that needs tsx: Node.js runs this file itself.
  build({ ...common, entryPoints: [path.join(dist, 'description/loadChild.js')], outfile: path.join(outdir, 'loadChild.cjs') }),
]);
const text = await readFile(path.join(outdir, 'main.cjs'), 'utf8');
if (/\bimport\(|import\.meta/.test(text)) throw new Error('scripts/bundle.mjs: the bundle still holds import() or import.meta, which vm.Script cannot run');
