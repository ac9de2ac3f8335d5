// Bundles the console into dist/: index.html, console/app-HASH.js and console/app-HASH.css.
// The page references its files relatively (`console/app-HASH.js`), so it works wherever the
// server is mounted (a reverse proxy's path prefix too); no inline script or style, for the
// strict Content-Security-Policy the server sends. `--watch` rebuilds on change.
import { build, context } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const watch = process.argv.includes('--watch');
const options = {
  entryPoints: { app: 'src/main.tsx' },
  bundle: true,
  minify: !watch,
  sourcemap: false,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  outdir: 'dist/console',
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
};

function writeIndex(metafile) {
  const outputs = Object.keys(metafile.outputs).map((p) => basename(p));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  const template = readFileSync('src/index.html', 'utf8');
  const html = template.replace('%JS%', `console/${js}`).replace('%CSS%', `console/${css}`);
  writeFileSync('dist/index.html', html);
  return { js, css };
}

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist/console', { recursive: true });
if (watch) {
  const ctx = await context({
    ...options,
    plugins: [{ name: 'index', setup: (b) => b.onEnd((r) => r.metafile && writeIndex(r.metafile)) }],
  });
  await ctx.watch();
} else {
  const result = await build(options);
  const { js, css } = writeIndex(result.metafile);
  const size = (f) => readFileSync(`dist/console/${f}`).length;
  console.log(`console built: dist/console/${js} (${size(js)} bytes), ${css} (${size(css)} bytes)`);
}
