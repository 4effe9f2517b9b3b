// The speedscope app (npm package `speedscope`, its built copy in dist/release) reading
// files written by `flamekit convert --to speedscope`, in headless Chromium. The app and
// the profile are served by a small local http server (the app fetches #profileURL=;
// file:// fetches are blocked). Checked: the profile's name in the toolbar, the root
// frame's total (= the profile's total) and every frame name in the sandwich view, a
// flame chart drawn in the left-heavy view (screenshot in FK_BROWSER_OUT), and the app's
// own export read back by `flamekit collapse` as the same stacks.
// Run by t/t0072-speedscope.sh; FK is the flamekit binary, FK_OUT a scratch directory.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.FK_ROOT || path.resolve(here, '../..');
const FK = process.env.FK || path.join(ROOT, 'build/flamekit');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCRATCH = process.env.FK_OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'flamekit-speedscope-'));
const SHOTS = process.env.FK_BROWSER_OUT || path.join(ROOT, 'build/browser');
const APP = path.join(here, 'node_modules/speedscope/dist/release');

const NAME = 'flamekit "test" run';

// A profile of known shape: main at the root of every stack, a few odd names.
function makeFolded() {
  const lines = [];
  let total = 0;
  const leaves = ['parse', 'emit "quoted"', 'back\\slash', 'tab\there', 'café €', '<b>html</b>'];
  for (let i = 0; i < 60; i++) {
    const count = 1 + ((i * 7919) % 97) * 13;
    total += count;
    const mid = `mid${i % 5}`;
    const stack = i % 4 === 0 ? ['main', mid] : ['main', mid, leaves[i % leaves.length]];
    lines.push(`${stack.join(';')} ${count}`);
  }
  return { text: lines.join('\n') + '\n', total };
}

const folded = makeFolded();
const foldedPath = path.join(SCRATCH, 'browser.folded');
const profilePath = path.join(SCRATCH, 'browser.speedscope.json');
let server, baseURL, context, chromium;

function collapse(file) {
  return execFileSync(FK, ['collapse', file], { encoding: 'utf8' });
}

before(async () => {
  fs.writeFileSync(foldedPath, folded.text);
  execFileSync(FK, ['convert', '--name', NAME, foldedPath, '-o', profilePath]);
  server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const file = url.pathname === '/profile/browser.speedscope.json'
      ? profilePath
      : path.join(APP, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ''));
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404);
        res.end();
        return;
      }
      const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript'
        : file.endsWith('.css') ? 'text/css' : file.endsWith('.wasm') ? 'application/wasm'
          : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type });
      res.end(data);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${server.address().port}`;
  ({ chromium } = await import('playwright-core'));
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flamekit-chromium-'));
  context = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1200, height: 800 },
  });
});

after(async () => {
  if (context) await context.close();
  if (server) server.close();
});

// Opens the profile in the given view; returns the page once the app shows it.
async function open(view) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${baseURL}/index.html#profileURL=/profile/browser.speedscope.json&view=${view}`);
  await page.waitForFunction((name) => document.body.innerText.includes(name), NAME, { timeout: 20000 });
  assert.deepEqual(errors, []);
  return page;
}

// "123,456 (100%)" -> 123456
function number(text) {
  const m = /^([\d,.]+)/.exec(text.trim());
  assert.ok(m, `no number in "${text}"`);
  return Number(m[1].replace(/,/g, ''));
}

test('sandwich view: the name, the root frame total = the profile total, every frame', async () => {
  const page = await open('sandwich');
  await page.waitForSelector('table tr td', { timeout: 20000 });
  const rows = await page.$$eval('table tr', (trs) => trs.map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => td.textContent)).filter((r) => r.length >= 3));
  const byName = new Map(rows.map((r) => [r[2], { total: r[0], self: r[1] }]));
  assert.ok(byName.has('main'), `no main row in ${JSON.stringify(rows.slice(0, 5))}`);
  assert.equal(number(byName.get('main').total), folded.total);
  assert.match(byName.get('main').total, /\(100%\)/);
  const names = new Set(folded.text.trim().split('\n').flatMap((l) => l.replace(/ \d+$/, '').split(';')));
  assert.deepEqual([...byName.keys()].sort(), [...names].sort());
  // the frame's own total: the sum of the stacks through it
  const parse = folded.text.trim().split('\n').filter((l) => l.includes(';parse '))
    .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
  assert.equal(number(byName.get('parse').total), parse);
  const title = await page.evaluate(() => document.body.innerText);
  assert.ok(title.includes(NAME), 'the profile name is not shown');
  await page.close();
});

test('left-heavy view: a flame chart is drawn (screenshot)', async () => {
  const page = await open('left-heavy');
  const canvases = await page.$$eval('canvas', (cs) => cs.map((c) => c.width * c.height));
  assert.ok(canvases.some((a) => a > 100000), 'no canvas drawn');
  await page.waitForTimeout(500);
  fs.mkdirSync(SHOTS, { recursive: true });
  const shot = path.join(SHOTS, 'speedscope-left-heavy.png');
  await page.screenshot({ path: shot });
  assert.ok(fs.statSync(shot).size > 10000);
  await page.close();
});

test("the app's export reads back as the same stacks", async () => {
  const page = await open('time-ordered');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 20000 }),
    page.getByText('Export').click(),
  ]);
  const exported = path.join(SCRATCH, 'exported.speedscope.json');
  await download.saveAs(exported);
  const json = JSON.parse(fs.readFileSync(exported, 'utf8'));
  assert.equal(json.profiles[0].type, 'evented');
  assert.equal(collapse(exported), collapse(foldedPath));
  await page.close();
});
