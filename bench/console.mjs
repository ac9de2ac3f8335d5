// bench/console.mjs — the console's quality targets measured in Debian's Chromium (playwright-core
// from tests/browser) against a running server: first load, first-page bytes, scrolling the queue.
// bench/console.sh starts a server with 10,000 alerts and runs this; to measure another server:
//
//   VIGIL_URL=http://127.0.0.1:9200/ VIGIL_USER=admin VIGIL_PASSWORD=... node bench/console.mjs
//
// Prints a Markdown report on stdout (RUNS first loads, default 5; SCROLL_MS of scrolling, default
// 10000). What is measured:
//   - first load: a fresh browser context (empty cache) with a session cookie opens `#/alerts`;
//     time from navigation start (performance.timeOrigin) until the first `[data-row-id]` row is in
//     the DOM, taken by a MutationObserver installed before the page's scripts run. Also the
//     same with a warm cache (second navigation in the context).
//   - bytes: the JavaScript and CSS of that first page as transferred (gzip from the server,
//     Resource Timing `encodedBodySize`) and decoded, against the 400 KB gzip budget.
//   - scrolling: the queue's scroll container is scrolled to its end at a steady speed in
//     requestAnimationFrame steps while every frame's interval is recorded; p50/p95/max frame time,
//     frames over 50 ms (long) and over 33 ms (a dropped frame at 60 Hz), and the most rows the DOM
//     held at once (a virtualised list keeps that small).
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(resolve(ROOT, 'tests/browser/package.json'));
const { chromium } = require('playwright-core');

const URL_ = process.env.VIGIL_URL ?? 'http://127.0.0.1:9200/';
const USER = process.env.VIGIL_USER ?? 'admin';
const PASSWORD = process.env.VIGIL_PASSWORD ?? '';
const RUNS = Number(process.env.RUNS ?? 5);
const SCROLL_MS = Number(process.env.SCROLL_MS ?? 10_000);
const BUDGET = 400 * 1024;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** Records when the first queue row appears, relative to navigation start. */
function rowWatch() {
  const mark = () => {
    if (window.__firstRow === undefined && document.querySelector('[data-row-id]')) {
      window.__firstRow = performance.now();
    }
  };
  new MutationObserver(mark).observe(document, { childList: true, subtree: true });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const ms = (x) => `${x.toFixed(1)} ms`;
const kb = (x) => `${(x / 1024).toFixed(1)} KB`;

async function login(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const r = await context.request.post(new URL('api/v1/auth/login', URL_).href, {
    data: { username: USER, password: PASSWORD },
    headers: { Origin: new URL(URL_).origin },
  });
  if (!r.ok()) throw new Error(`login as ${USER}: ${r.status()} ${await r.text()}`);
  const state = await context.storageState();
  await context.close();
  return state;
}

async function firstLoad(browser, storageState) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, storageState });
  await context.addInitScript(rowWatch);
  const page = await context.newPage();
  const time = async () => {
    await page.goto(`${URL_.split('#')[0]}#/alerts`);
    await page.waitForFunction(() => window.__firstRow !== undefined, null, { timeout: 60_000 }).catch(async (err) => {
      const seen = await page.evaluate(() => `page ${document.querySelector('[data-page]')?.getAttribute('data-page')}: ${document.body.innerText.slice(0, 300)}`);
      throw new Error(`no [data-row-id] row on #/alerts within 60 s (${seen})`, { cause: err });
    });
    return page.evaluate(() => window.__firstRow);
  };
  const cold = await time();
  const bytes = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => /\.(js|css)(\?|$)/.test(e.name))
      .map((e) => ({ name: e.name, encoded: e.encodedBodySize, decoded: e.decodedBodySize })),
  );
  await page.goto('about:blank');
  const warm = await time();
  await context.close();
  return { cold, warm, bytes };
}

async function scroll(browser, storageState) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, storageState });
  const page = await context.newPage();
  await page.goto(`${URL_.split('#')[0]}#/alerts`);
  await page.locator('[data-row-id]').first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1000);
  return page.evaluate(async (duration) => {
    const row = document.querySelector('[data-row-id]');
    let box = row.parentElement;
    while (box && box !== document.body) {
      const o = getComputedStyle(box).overflowY;
      if ((o === 'auto' || o === 'scroll') && box.scrollHeight > box.clientHeight) break;
      box = box.parentElement;
    }
    const scroller = box && box !== document.body ? box : document.scrollingElement;
    const distance = scroller.scrollHeight - scroller.clientHeight;
    const frames = [];
    let maxRows = 0;
    await new Promise((done) => {
      const start = performance.now();
      let last = start;
      const step = (now) => {
        frames.push(now - last);
        last = now;
        const t = Math.min(1, (now - start) / duration);
        scroller.scrollTop = t * distance;
        maxRows = Math.max(maxRows, document.querySelectorAll('[data-row-id]').length);
        if (t < 1) requestAnimationFrame(step);
        else done();
      };
      requestAnimationFrame(step);
    });
    frames.shift();
    return {
      frames,
      maxRows,
      distance,
      scroller: scroller === document.scrollingElement ? 'document' : `${scroller.tagName.toLowerCase()}.${scroller.className}`,
      lastRow: [...document.querySelectorAll('[data-row-id]')].at(-1)?.getAttribute('data-row-id'),
    };
  }, SCROLL_MS);
}

const browser = await chromium.launch({ executablePath: process.env.VIGIL_CHROMIUM || '/usr/bin/chromium', args: ARGS });
try {
  const state = await login(browser);
  const loads = [];
  for (let i = 0; i < RUNS; i++) loads.push(await firstLoad(browser, state));
  const cold = loads.map((l) => l.cold);
  const warm = loads.map((l) => l.warm);
  const bytes = loads[0].bytes;
  const gz = bytes.reduce((a, b) => a + b.encoded, 0);
  const raw = bytes.reduce((a, b) => a + b.decoded, 0);
  const s = await scroll(browser, state);
  const long = s.frames.filter((f) => f > 50).length;
  const dropped = s.frames.filter((f) => f > 33.4).length;
  const out = [
    `## Console (${URL_}, Chromium ${browser.version()}, 1280×720)`,
    '',
    '| measure | value | target |',
    '|---|---|---|',
    `| first load, empty cache: navigation start → first queue row (median / max of ${RUNS}) | ${ms(pct(cold, 50))} / ${ms(Math.max(...cold))} | < 1 s |`,
    `| first load, warm cache (median / max) | ${ms(pct(warm, 50))} / ${ms(Math.max(...warm))} | |`,
    `| JS + CSS of the first page, gzip as served (decoded) | ${kb(gz)} (${kb(raw)}) | ≤ ${kb(BUDGET)} gzip |`,
    `| scrolling the queue ${SCROLL_MS / 1000} s to its end (${s.distance} px, ${s.frames.length} frames): p50 / p95 / max frame | ${ms(pct(s.frames, 50))} / ${ms(pct(s.frames, 95))} / ${ms(Math.max(...s.frames))} | p95 ≈ 16.7 ms (one 60 Hz frame) |`,
    `| frames over 50 ms (long) / over 33 ms (dropped at 60 Hz) | ${long} / ${dropped} | 0 |`,
    `| most rows in the DOM while scrolling (virtualised list) | ${s.maxRows} | |`,
    '',
    `Files: ${bytes.map((b) => `${b.name.split('/').pop()} ${kb(b.encoded)} gzip`).join(', ')}; scroll container ${s.scroller}; last row seen ${s.lastRow}.`,
    `Budget: ${gz <= BUDGET ? 'within' : 'OVER'} 400 KB gzip. First load: ${pct(cold, 50) < 1000 ? 'under' : 'OVER'} 1 s.`,
  ];
  console.log(out.join('\n'));
} finally {
  await browser.close();
}
