// The trader's page, bundled at build time (no CDN): web/src → dist/web/assets/app.js, with
// uPlot's stylesheet and ours as app.css, and index.html. main-app serves dist/web.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'web');
await mkdir(join(out, 'assets'), { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'main.tsx')],
  outfile: join(out, 'assets', 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  logLevel: 'warning',
});
const uplotCss = createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css');
const css = `${await readFile(uplotCss, 'utf8')}\n${await readFile(join(here, 'app.css'), 'utf8')}`;
await writeFile(join(out, 'assets', 'app.css'), css);
await copyFile(join(here, 'index.html'), join(out, 'index.html'));
