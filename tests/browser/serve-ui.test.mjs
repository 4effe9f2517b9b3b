// The web UI of `flamekit serve` (src/server/ui/) in headless Chromium, against a running
// server that t/t0083-serve-ui.sh started and filled.
//   node tests/browser/serve-ui.test.mjs URL OUTDIR
// URL: the server (http://127.0.0.1:PORT); OUTDIR: where the screenshots go.
// FK_UI_DATA: the directory of the folded files the script ingested:
//   shop-v1.folded  as shop.cpu{version=v1}, 30 minutes ago
//   shop-v2.folded  as shop.cpu{version=v2}, 5 minutes ago
//   checkout.folded as checkout.cpu{env=prod}
// The expected tables and frames are computed here from those files. With FK_UI_TOKEN
// set, the server was started with --token FK_UI_TOKEN and only the token prompt is
// tested.
//
// Checked: the app picker lists the apps; picking one shows its frames in the flame
// graph (the SVG's titles, read inside the iframe) and a top table equal to the ingested
// counts; a label value narrows the query (matcher, URL, table); a click in the graph
// zooms; a link reopens the same view; a drag on the timeline selects a sub-range; the
// diff view of version v1 against v2 colours grown frames red and shrunk ones blue and
// tabulates both sides; a frame named like an HTML tag stays text and no dialog opens.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const URL_ = process.argv[2];
const OUT = process.argv[3] || fs.mkdtempSync(path.join(os.tmpdir(), 'flamekit-ui-'));
const DATA = process.env.FK_UI_DATA || '';
const TOKEN = process.env.FK_UI_TOKEN || '';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const HOSTILE = '<img src=x onerror=alert(1)>';

if (!URL_) {
  console.error('usage: node serve-ui.test.mjs URL OUTDIR');
  process.exit(2);
}
fs.mkdirSync(OUT, { recursive: true });

// ---- the expected numbers, from the folded files -------------------------------------

function readFolded(name) {
  const text = fs.readFileSync(path.join(DATA, name), 'utf8');
  return text.split('\n').filter((l) => l.trim()).map((l) => {
    const i = l.lastIndexOf(' ');
    return { stack: l.slice(0, i).split(';'), count: Number(l.slice(i + 1)) };
  });
}

// name -> { self, total } and the sum of all counts, over any number of profiles
function model(...profiles) {
  const fns = new Map();
  let total = 0;
  for (const p of profiles) {
    for (const { stack, count } of p) {
      total += count;
      for (const name of new Set(stack)) {
        const f = fns.get(name) || { self: 0, total: 0 };
        f.total += count;
        fns.set(name, f);
      }
      fns.get(stack[stack.length - 1]).self += count;
    }
  }
  return { fns, total };
}

const v1 = DATA && !TOKEN ? readFolded('shop-v1.folded') : [];
const v2 = DATA && !TOKEN ? readFolded('shop-v2.folded') : [];
const checkout = DATA && !TOKEN ? readFolded('checkout.folded') : [];

// ---- the browser ------------------------------------------------------------------------

let context;
let profileDir;

before(async () => {
  const { chromium } = await import('playwright-core');
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flamekit-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1400, height: 900 },
  });
});

after(async () => {
  if (context) await context.close();
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
});

// A new page recording script errors, failed requests and dialogs (a dialog would be the
// hostile frame name executing: it is dismissed and recorded).
async function openPage(url) {
  const page = await context.newPage();
  page.errors = [];
  page.dialogs = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('dialog', (d) => { page.dialogs.push(d.type() + ': ' + d.message()); d.dismiss().catch(() => {}); });
  await page.goto(url);
  await settled(page, 0);
  return page;
}

function generation(page) {
  return page.evaluate(() => Number(document.body.getAttribute('data-generation') || 0));
}

// Waits until a render newer than `since` has finished (data-state ready or error).
async function settled(page, since) {
  await page.waitForFunction((since) => {
    const b = document.body;
    return Number(b.getAttribute('data-generation') || 0) > since &&
      (b.getAttribute('data-state') === 'ready' || b.getAttribute('data-state') === 'error');
  }, since, { timeout: 20000 });
  const state = await page.evaluate(() => [document.body.getAttribute('data-state'),
    document.getElementById('status').textContent]);
  assert.equal(state[0], 'ready', `the UI shows an error: ${state[1]}`);
}

// Does `action` and waits for the render it starts.
async function andRender(page, action) {
  const since = await generation(page);
  await action();
  await settled(page, since);
}

// The table as { name -> { col -> value } } (numbers from data-value) and its columns.
function table(page) {
  return page.evaluate(() => {
    const t = document.getElementById('table');
    const keys = [...t.tHead.rows[0].cells].map((th) => th.getAttribute('data-key'));
    const rows = {};
    for (const tr of t.tBodies[0].rows) {
      const r = {};
      [...tr.cells].forEach((td, i) => {
        r[keys[i]] = keys[i] === 'name' ? td.textContent : Number(td.getAttribute('data-value'));
      });
      rows[r.name] = r;
    }
    return { keys, rows, kind: t.getAttribute('data-kind') };
  });
}

function assertSingleTable(got, want, what) {
  assert.equal(got.kind, 'single', what);
  assert.deepEqual(Object.keys(got.rows).sort(), [...want.fns.keys()].sort(), `${what}: the functions`);
  for (const [name, f] of want.fns) {
    const r = got.rows[name];
    assert.equal(r.flat, f.self, `${what}: self of ${name}`);
    assert.equal(r.cum, f.total, `${what}: total of ${name}`);
    assert.ok(Math.abs(r.flatPct - (100 * f.self) / want.total) < 1e-6, `${what}: self % of ${name}`);
  }
}

// The flame graph frame inside the iframe.
async function graphFrame(page) {
  const handle = await page.$('#graph');
  assert.ok(handle, 'no #graph iframe');
  const frame = await handle.contentFrame();
  assert.ok(frame, 'the iframe has no document');
  await frame.waitForFunction(() => document.querySelector('#frames'), null, { timeout: 10000 });
  return frame;
}

// Every frame of the graph: name, count (from its <title>), fill, box on screen.
function graphFrames(frame) {
  return frame.evaluate(() => [...document.querySelectorAll('#frames rect')].map((r) => {
    const g = r.parentNode;
    const title = g.querySelector('title').textContent;
    const m = / \(([^()]*)\)$/.exec(title);
    const b = r.getBoundingClientRect();
    return {
      name: m ? title.slice(0, m.index) : title,
      count: m ? Number(m[1].split(' ')[0].replace(/,/g, '')) : NaN,
      fill: r.getAttribute('fill') || getComputedStyle(r).fill,
      x: b.left,
      w: b.width,
      hidden: g.classList.contains('hide') || b.width === 0,
    };
  }));
}

function hash(page) {
  return page.evaluate(() => Object.fromEntries(new URLSearchParams(location.hash.slice(1))));
}

async function shot(page, name) {
  const file = path.join(OUT, `serve-ui-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  assert.ok(fs.statSync(file).size > 10000, `${file} is too small`);
}

function noHarm(page) {
  assert.deepEqual(page.dialogs, [], 'dialogs opened');
  assert.deepEqual(page.errors, [], 'script errors');
}

// ---- the tests ----------------------------------------------------------------------------

if (!TOKEN) {
  test('the UI: apps, graph, table, labels, zoom, link, timeline drag, diff, hostile names', async () => {
    const page = await openPage(URL_ + '/');

    // the apps
    const apps = await page.$$eval('#app option', (os) => os.map((o) => o.value));
    assert.deepEqual(apps, ['checkout.cpu', 'shop.cpu']);

    // checkout.cpu first (the first app), then shop.cpu picked
    await andRender(page, () => page.selectOption('#app', 'shop.cpu'));
    assert.equal(await page.inputValue('#query'), 'shop.cpu{}');
    const all = model(v1, v2);
    assertSingleTable(await table(page), all, 'shop.cpu{}');
    let frame = await graphFrame(page);
    let frames = await graphFrames(frame);
    for (const [name, f] of all.fns) {
      const got = frames.filter((x) => x.name === name).reduce((s, x) => s + x.count, 0);
      // a function's frames add up to its total here (no recursion in the data)
      assert.equal(got, f.total, `graph: the frames of ${name}`);
    }
    assert.equal(await frame.evaluate(() => document.documentElement.getAttribute('width')),
      String(await page.$eval('#graph-pane', (p) => Math.max(300, Math.floor(p.clientWidth)))),
      'the SVG is drawn at the width of its pane');
    await shot(page, 'single');

    // the hostile name: text in the table and the graph, no element made of it
    const cell = await page.$$eval('#table td.name', (tds, h) => tds.filter((td) => td.textContent === h).length, HOSTILE);
    assert.equal(cell, 1, 'the hostile name is one table cell, as text');
    assert.equal(await page.$$eval('img', (x) => x.length), 0, 'an <img> in the page');
    assert.equal(await frame.evaluate(() => document.getElementsByTagName('img').length), 0, 'an <img> in the graph');
    assert.ok(frames.some((f) => f.name === HOSTILE), 'the hostile frame is in the graph');

    // a label value: version = v1
    await page.selectOption('#label-name', 'version');
    await page.waitForFunction(() => [...document.querySelectorAll('#label-value option')].some((o) => o.value === 'v2'));
    const values = await page.$$eval('#label-value option', (os) => os.map((o) => o.value).filter(Boolean));
    assert.deepEqual(values, ['v1', 'v2']);
    await andRender(page, () => page.selectOption('#label-value', 'v1'));
    assert.equal(await page.inputValue('#query'), 'shop.cpu{version="v1"}');
    assert.equal((await hash(page)).query, 'shop.cpu{version="v1"}');
    assert.deepEqual(await page.$$eval('#matchers .chip', (cs) => cs.map((c) => c.firstChild.textContent)), ['version="v1"']);
    assertSingleTable(await table(page), model(v1), 'shop.cpu{version="v1"}');

    // the table sorts by a clicked header
    await page.click('#table th[data-key="cum"]');
    let names = await page.$$eval('#table tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-name')));
    const byTotal = [...model(v1).fns].sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : 1)).map((e) => e[0]);
    assert.deepEqual(names, byTotal, 'sorted by total, descending');
    await page.click('#table th[data-key="name"]');
    names = await page.$$eval('#table tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-name')));
    assert.deepEqual(names, [...names].sort(), 'sorted by name');

    // the search box filters the table and searches the graph
    frame = await graphFrame(page);
    await page.fill('#search', 'PARS');
    await page.waitForFunction(() => document.querySelectorAll('#table tbody tr').length === 1);
    assert.equal(await page.$eval('#table tbody tr', (tr) => tr.getAttribute('data-name')), 'parse');
    await frame.waitForFunction(() => /Matched: 44\.8%/.test(document.getElementById('matched').textContent), null, { timeout: 5000 });
    await page.fill('#search', '');
    await page.waitForFunction((n) => document.querySelectorAll('#table tbody tr').length === n, model(v1).fns.size);
    // a click on a row searches the graph for exactly that function; again: no search
    await page.click('#table tbody tr[data-name="render"]');
    await frame.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('s') === '^render$', null, { timeout: 5000 });
    await page.click('#table tbody tr[data-name="render"]');
    await frame.waitForFunction(() => !new URLSearchParams(location.hash.slice(1)).has('s'), null, { timeout: 5000 });

    // zoom: click "handle" in the graph
    frames = await graphFrames(frame);
    const handle = frames.find((f) => f.name === 'handle');
    const svgWidth = Number(await frame.evaluate(() => document.documentElement.getAttribute('width')));
    assert.ok(handle.w < svgWidth * 0.9, 'handle is not the full width before the zoom');
    const iframeBox = await page.locator('#graph').boundingBox();
    const box = await frame.evaluate(() => {
      const g = [...document.querySelectorAll('#frames g')].find((x) => x.querySelector('title').textContent.startsWith('handle ('));
      const b = g.querySelector('rect').getBoundingClientRect();
      return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
    });
    await page.mouse.click(iframeBox.x + box.x, iframeBox.y + box.y);
    await frame.waitForFunction(() => /[#&]x=/.test(location.hash), null, { timeout: 5000 });
    frames = await graphFrames(frame);
    const zoomed = frames.find((f) => f.name === 'handle');
    assert.ok(Math.abs(zoomed.w - (svgWidth - 20)) < 1, `handle spans the width after the zoom (${zoomed.w})`);
    // gc, beside handle: hidden or pushed out of the drawing (10 px margins)
    const gc = frames.find((f) => f.name === 'gc');
    assert.ok(gc.hidden || gc.x + gc.w <= 10.01 || gc.x >= svgWidth - 10.01, `gc is drawn while zoomed into handle: ${JSON.stringify(gc)}`);
    assert.equal(await frame.evaluate(() => document.getElementById('unzoom').classList.contains('hide')), false, 'Reset Zoom shows');
    await shot(page, 'zoomed');

    // the link reopens the view
    const link = page.url();
    const again = await openPage(link);
    assert.equal(await again.inputValue('#query'), 'shop.cpu{version="v1"}');
    assertSingleTable(await table(again), model(v1), 'the same view from the link');
    noHarm(again);
    await again.close();

    // remove the matcher, then drag on the timeline over the last 15 minutes: only v2
    await andRender(page, () => page.click('#matchers .chip button'));
    assert.equal(await page.inputValue('#query'), 'shop.cpu{}');
    assertSingleTable(await table(page), all, 'shop.cpu{} again');
    const tl = await page.evaluate(() => {
      const svg = document.getElementById('timeline');
      const b = svg.getBoundingClientRect();
      return { left: b.left, top: b.top, height: b.height, max: Number(svg.getAttribute('data-max')) };
    });
    assert.ok(tl.max > 0, 'the timeline has samples');
    // the drawing's scale: times t0..t1 (Unix seconds) at x0..x1 (px in the SVG)
    const scale = await page.evaluate(() => Object.fromEntries(['t0', 't1', 'x0', 'x1'].map((k) =>
      [k, Number(document.getElementById('timeline').getAttribute('data-' + k))])));
    assert.ok(scale.t1 > scale.t0 && scale.x1 > scale.x0, `the timeline's scale: ${JSON.stringify(scale)}`);
    const xOf = (t) => tl.left + scale.x0 + ((t - scale.t0) / (scale.t1 - scale.t0)) * (scale.x1 - scale.x0);
    const now = Math.floor(Date.now() / 1000);
    await andRender(page, async () => {
      await page.mouse.move(xOf(now - 900), tl.top + tl.height / 2);
      await page.mouse.down();
      await page.mouse.move(xOf(now - 300), tl.top + tl.height / 2, { steps: 4 });
      await page.mouse.move(tl.left + scale.x1 + 5, tl.top + tl.height / 2, { steps: 4 });
      await page.mouse.up();
    });
    const h = await hash(page);
    assert.match(h.from, /^\d+$/, 'from is a time now');
    assert.match(h.until, /^\d+$/, 'until is a time now');
    assert.ok(Math.abs(Number(h.from) - (now - 900)) < 30, `from ${h.from} is about 15 minutes ago`);
    assertSingleTable(await table(page), model(v2), 'the last 15 minutes');
    assert.equal(await page.inputValue('#range'), 'custom');
    await shot(page, 'range');

    // the diff view: version v1 (A) against v2 (B), over the last hour
    await andRender(page, () => page.selectOption('#range', 'now-1h'));
    await andRender(page, () => page.click('#tabs .tab[data-view="diff"]'));
    for (const [side, value] of [['a', 'v1'], ['b', 'v2']]) {
      await page.selectOption(`#side-${side} .side-label`, 'version');
      await page.waitForFunction((s) => [...document.querySelectorAll(`#side-${s} .side-value option`)].some((o) => o.value === 'v2'), side);
      await andRender(page, () => page.selectOption(`#side-${side} .side-value`, value));
    }
    const dh = await hash(page);
    assert.deepEqual([dh.view, dh.aLabel, dh.aValue, dh.bLabel, dh.bValue], ['diff', 'version', 'v1', 'version', 'v2']);
    const dt = await table(page);
    assert.equal(dt.kind, 'diff');
    const m1 = model(v1);
    const m2 = model(v2);
    const selfNames = [...new Set([...m1.fns, ...m2.fns].filter(([, f]) => f.self > 0).map(([n]) => n))].sort();
    assert.deepEqual(Object.keys(dt.rows).sort(), selfNames, 'diff table: the functions with self samples');
    for (const name of selfNames) {
      const a = m1.fns.get(name)?.self || 0;
      const b = m2.fns.get(name)?.self || 0;
      const r = dt.rows[name];
      assert.equal(r.a, a, `diff table: A of ${name}`);
      assert.equal(r.b, b, `diff table: B of ${name}`);
      const change = (100 * b) / m2.total - (100 * a) / m1.total;
      assert.ok(Math.abs(r.change - change) < 1e-6, `diff table: change of ${name}: ${r.change}, not ${change}`);
    }
    frame = await graphFrame(page);
    frames = await graphFrames(frame);
    const rgb = (f) => f.fill.match(/\d+/g).map(Number);
    const render = frames.find((f) => f.name === 'render');
    const parse = frames.find((f) => f.name === 'parse');
    assert.ok(render && parse, 'render and parse in the diff graph');
    const [rr, , rb] = rgb(render);
    const [pr, , pb] = rgb(parse);
    assert.ok(rr > rb + 50, `render grew: red, not ${render.fill}`);
    assert.ok(pb > pr + 50, `parse shrank: blue, not ${parse.fill}`);
    assert.ok(await frame.evaluate(() => document.documentElement.getAttribute('width')), 'a diff SVG');
    await shot(page, 'diff');

    // no frame name or label value ever became markup
    assert.equal(await page.$$eval('img', (x) => x.length), 0, 'an <img> in the page');
    noHarm(page);
    await page.close();
  });

  test('the other app: checkout.cpu from a link, the table layout', async () => {
    const page = await openPage(URL_ + '/#query=' + encodeURIComponent('checkout.cpu{env="prod"}') + '&from=now-1h&until=now&view=single&layout=table');
    assertSingleTable(await table(page), model(checkout), 'checkout.cpu{env="prod"}');
    assert.equal(await page.$eval('#graph-pane', (p) => getComputedStyle(p).display), 'none', 'no graph in the table layout');
    assert.equal(await page.inputValue('#app'), 'checkout.cpu');
    noHarm(page);
    await page.close();
  });
} else {
  test('--token: the UI asks for the token, keeps it for the session and sends it', async () => {
    const page = await context.newPage();
    page.errors = [];
    page.dialogs = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    const auth = [];
    page.on('request', (r) => { if (!/\/(app\.(js|css))?$/.test(new URL(r.url()).pathname)) auth.push([new URL(r.url()).pathname, r.headers().authorization || '']); });
    await page.goto(URL_ + '/');
    await page.waitForSelector('#login:not([hidden])', { timeout: 10000 });
    await shot(page, 'token');
    // a wrong token: asked again
    await page.fill('#login-token', 'wrong');
    await page.click('#login-form button');
    await page.waitForFunction(() => !document.getElementById('login').hidden &&
      document.getElementById('login-msg').textContent.includes('not accepted'), null, { timeout: 10000 });
    await page.fill('#login-token', TOKEN);
    await page.click('#login-form button');
    await settled(page, 0);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('flamekit.token')), TOKEN);
    const apps = await page.$$eval('#app option', (os) => os.map((o) => o.value));
    assert.deepEqual(apps, ['shop.cpu']);
    const t = await table(page);
    assert.ok(t.rows.main && t.rows.main.cum > 0, 'the table has data');
    const renders = auth.filter(([p]) => p === '/render');
    assert.ok(renders.length >= 2, 'render calls made');
    assert.ok(renders.every(([, a]) => a === 'Bearer ' + TOKEN), 'every render call sends the token');
    assert.deepEqual(page.errors.filter((e) => !/401/.test(e)), [], 'script errors');
    assert.deepEqual(page.dialogs, [], 'no browser dialogs');
    await page.close();
  });
}
