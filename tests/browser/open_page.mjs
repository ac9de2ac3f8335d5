// Opens a page of a running Vigil server in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core), with every request that does not go to 127.0.0.1 aborted and recorded, and
// saves a full-page screenshot.
//
//   node open_page.mjs URL TOKEN SCREENSHOT.png
//
// Prints one JSON line: {"title", "requests": [every URL asked for], "blocked": [those aborted],
// "svg": number of <svg> elements, "styled": whether the inline stylesheet applied,
// "errors": console errors (a blocked style is one), "text": the page's text (at most 200,000 characters)}.
import { chromium } from 'playwright-core';

const [url, token, screenshot] = process.argv.slice(2);
const executablePath = process.env.VIGIL_CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
try {
  const context = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  const blocked = [];
  await page.route('**/*', (route) => {
    const target = route.request().url();
    requests.push(target);
    let host = '';
    try { host = new URL(target).hostname; } catch { host = ''; }
    if (host === '127.0.0.1') {
      return route.continue();
    }
    blocked.push(target);
    return route.abort();
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response || !response.ok()) {
    throw new Error(`${url}: ${response ? response.status() : 'no response'}`);
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  // The first screen on its own too (NAME-top.png), at a readable size.
  await page.screenshot({ path: screenshot.replace(/\.png$/, '-top.png') });
  const title = await page.title();
  const svg = await page.locator('svg').count();
  const text = (await page.locator('body').innerText()).slice(0, 200000);
  // Whether the page's stylesheet applied (a Content-Security-Policy that blocks it leaves h2 bare).
  const styled = await page.evaluate(() => {
    const h2 = document.querySelector('h2');
    return h2 !== null && getComputedStyle(h2).borderBottomStyle === 'solid';
  });
  console.log(JSON.stringify({ title, requests, blocked, svg, styled, errors, text }));
} finally {
  await browser.close();
}
