// Support for the viewer's browser tests (viewer.test.mjs): where things are, making
// flame graph SVGs, a big generated profile, headless Chromium, and reading the frames
// back out of a page.
//
// SVGs come from `$FK flamegraph` (FK_VIEWER_SOURCE=flamekit), or, while flamekit cannot
// draw yet, from flamegraph.pl with its viewer swapped for ours (FK_VIEWER_SOURCE=
// flamegraph.pl, a development mode). Unset, the first that works is used.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = process.env.FK_ROOT || path.resolve(here, '../..');
const BUILD = process.env.FK_BUILD || path.join(ROOT, 'build');
export const FK = process.env.FK || path.join(BUILD, 'flamekit');
const COMPAT = process.env.FK_COMPAT || path.resolve(ROOT, '../shared/compat');
export const INPUTS = path.join(COMPAT, 'flamegraph/inputs');
const FLAMEGRAPH_PL = process.env.FLAMEGRAPH_PL || path.resolve(ROOT, '../fg/flamegraph.pl');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUT = process.env.FK_BROWSER_OUT || path.join(BUILD, 'browser');
export const VIEWER_JS = path.join(ROOT, 'src/output/viewer/viewer.js');
export const VIEWER_CSS = path.join(ROOT, 'src/output/viewer/viewer.css');

// The options every graph here is drawn with (flamegraph.pl's defaults).
export const DEFAULTS = {
  nametype: 'Function:', fontsize: 12, fontwidth: 0.59, xpad: 10,
  searchcolor: 'rgb(230,0,230)', countname: 'samples',
};

function flamekitDraws() {
  if (!fs.existsSync(FK)) return false;
  const r = spawnSync(FK, ['flamegraph', '--help'], { stdio: 'ignore' });
  return r.status === 0;
}

export const SOURCE = (() => {
  const want = process.env.FK_VIEWER_SOURCE;
  if (want === 'flamekit' || want === 'flamegraph.pl') return want;
  if (want) throw new Error(`FK_VIEWER_SOURCE must be flamekit or flamegraph.pl, not ${want}`);
  if (flamekitDraws()) return 'flamekit';
  if (fs.existsSync(FLAMEGRAPH_PL)) return 'flamegraph.pl';
  throw new Error(`no way to draw SVGs: ${FK} has no flamegraph command and ${FLAMEGRAPH_PL} is missing`);
})();

// flamegraph.pl's SVG with our viewer in place of its own, laid out as flamekit's:
// option-dependent styles then viewer.css; `var fk_config = {...};` then viewer.js.
function injectViewer(svg, options) {
  const css = fs.readFileSync(VIEWER_CSS, 'utf8');
  const js = fs.readFileSync(VIEWER_JS, 'utf8');
  const config = { ...DEFAULTS, inverted: options.includes('--inverted') };
  const fontRules = `text { font-family:Verdana; font-size:${config.fontsize}px; fill:rgb(0,0,0); }\n` +
    `#title { font-size:${config.fontsize + 5}px; }\n`;
  const style = /(<style type="text\/css">)[\s\S]*?(<\/style>)/;
  const script = /(<script type="text\/ecmascript">\s*<!\[CDATA\[)[\s\S]*?(\]\]>\s*<\/script>)/;
  if (!style.test(svg) || !script.test(svg)) throw new Error('flamegraph.pl output has no <style> or <script>');
  return svg
    .replace(' onload="init(evt)"', '')
    .replace(style, (_, open, close) => open + '\n' + fontRules + css + close)
    .replace(script, (_, open, close) =>
      open + '\nvar fk_config = ' + JSON.stringify(config) + ';\n' + js + '\n' + close);
}

// Draws `folded` (a path) with `options` into OUT/name.svg; returns the SVG's path.
export function makeSvg(name, folded, options = []) {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, name + '.svg');
  let svg;
  if (SOURCE === 'flamekit') {
    svg = execFileSync(FK, ['flamegraph', ...options, folded],
      { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    svg = execFileSync('perl', [FLAMEGRAPH_PL, ...options, folded],
      { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
    svg = injectViewer(svg, options);
  }
  fs.writeFileSync(file, svg);
  return file;
}

export function fileUrl(file, fragment = '') {
  return pathToFileURL(file).href + fragment;
}

// A deterministic random profile with about `frames` distinct frames: chains of 4..13
// new frames hung under random existing frames, names from a few families (alloc_,
// parse_, ...) so that a search matches many frames at once. Every stack has a count of
// 1..4 and there are few enough stacks that no frame is narrower than flamegraph.pl's
// default --minwidth (0.1 px).
export function bigFolded(file, frames = 21500) {
  let seed = 20000;
  const rand = () => { // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const families = ['alloc', 'parse', 'io_read', 'hash', 'Lock', 'render', 'net_send', 'sched'];
  const nodes = [{ stack: 'main', depth: 1 }];
  const lines = [];
  let made = 1;
  while (made < frames) {
    let at = nodes[Math.floor(rand() * nodes.length)];
    if (at.depth > 40) at = nodes[0];
    const len = 4 + Math.floor(rand() * 10);
    let stack = at.stack;
    for (let k = 0; k < len; k++) {
      const fam = families[Math.floor(rand() * families.length)];
      stack += `;${fam}_${made.toString(36)}`;
      made++;
      nodes.push({ stack, depth: at.depth + k + 1 });
    }
    lines.push(`${stack} ${1 + Math.floor(rand() * 4)}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

// Headless Chromium with a fresh profile; close() also removes the profile.
export async function launch() {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'flamekit-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1200, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Opens `url` in a new page that records script errors and dialogs.
export async function open(browser, url) {
  const page = await browser.context.newPage();
  page.errors = [];
  page.dialogs = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('dialog', (d) => { page.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await page.goto(url);
  await page.waitForFunction(() => document.readyState === 'complete');
  // The whole picture in the viewport, so that the mouse reaches every frame.
  const size = await page.evaluate(() => ({
    width: Math.ceil(document.documentElement.width.baseVal.value),
    height: Math.ceil(document.documentElement.height.baseVal.value),
  }));
  await page.setViewportSize({ width: Math.min(size.width, 4000), height: Math.min(size.height, 4000) });
  // Test ids on the frames and their labels (the viewer moves both around while
  // zoomed), numbered in document order as loaded.
  await page.evaluate(() => {
    Array.from(document.querySelectorAll('#frames rect'), (r) => r.parentNode).forEach((g, i) => {
      g.setAttribute('data-test-frame', i);
      const t = g.querySelector('text');
      if (t) t.setAttribute('data-test-label', i);
    });
  });
  return page;
}

// Every frame as the page shows it now, by test id: its attributes and, in CSS px, its
// rectangle's and label's boxes on screen; `shown` when part of it is drawn inside the
// drawing's margins.
export function frames(page, xpad = 10) {
  return page.evaluate((xpad) => {
    const right = document.documentElement.width.baseVal.value - xpad;
    const labels = new Map();
    for (const t of document.querySelectorAll('[data-test-label]')) labels.set(t.getAttribute('data-test-label'), t);
    const gs = Array.from(document.querySelectorAll('[data-test-frame]'));
    return gs.map((g) => {
      const id = g.getAttribute('data-test-frame');
      const r = g.querySelector('rect');
      const t = labels.get(id) || null;
      const b = r.getBoundingClientRect();
      const lb = t ? t.getBoundingClientRect() : null;
      return {
        id: Number(id),
        title: g.querySelector('title').textContent,
        y: parseFloat(r.getAttribute('y')),
        ax: parseFloat(r.getAttribute('x')),
        aw: parseFloat(r.getAttribute('width')),
        fill: getComputedStyle(r).fill,
        sx: b.left,
        sw: b.width,
        shown: b.width > 0 && b.right > xpad + 0.01 && b.left < right - 0.01,
        label: t ? t.textContent : null,
        lx: lb ? lb.left : null,
        lw: lb ? lb.width : null,
        hidden: g.classList.contains('hide'),
        faded: g.classList.contains('parent'),
      };
    }).sort((a, b) => a.id - b.id);
  }, xpad);
}

// The frames' markup and document order, to compare with an earlier state exactly.
export function markup(page) {
  return page.evaluate(() => {
    const labels = new Map();
    for (const t of document.querySelectorAll('[data-test-label]')) labels.set(t.getAttribute('data-test-label'), t);
    const attrs = (el) => el ? Array.from(el.attributes, (a) => a.name + '=' + a.value).sort().join(' ') : null;
    return Array.from(document.querySelectorAll('[data-test-frame]'), (g) => {
      const id = g.getAttribute('data-test-frame');
      const t = labels.get(id) || null;
      return [id, attrs(g), attrs(g.querySelector('rect')), attrs(t), t && t.textContent,
        t && t.parentNode === g, g.parentNode.getAttribute('class')].join(' | ');
    });
  });
}

// What is on screen, independent of ids and order: the frames drawn (title, y, box,
// colour, faded) and the labels drawn (text, position).
export function view(page, xpad = 10) {
  return page.evaluate((xpad) => {
    const right = document.documentElement.width.baseVal.value - xpad;
    const round = (v) => Math.round(v * 10) / 10;
    const out = [];
    for (const r of document.querySelectorAll('#frames rect')) {
      const b = r.getBoundingClientRect();
      if (!(b.width > 0 && b.right > xpad + 0.01 && b.left < right - 0.01)) continue;
      const g = r.parentNode;
      out.push(['frame', g.querySelector('title').textContent, r.getAttribute('y'),
        round(Math.max(b.left, xpad)), round(Math.min(b.right, right)), getComputedStyle(r).fill,
        g.classList.contains('parent')].join(' '));
    }
    for (const t of document.querySelectorAll('#frames text')) {
      const b = t.getBoundingClientRect();
      if (!t.textContent || !(b.width > 0 && b.right > xpad && b.left < right)) continue;
      out.push(['label', t.textContent, round(b.left), round(b.top)].join(' '));
    }
    return out.sort();
  }, xpad);
}

export function text(page, id) {
  return page.evaluate((i) => document.getElementById(i).textContent, id);
}

export function classes(page, id) {
  return page.evaluate((i) => {
    const el = document.getElementById(i);
    return el ? Array.from(el.classList).sort() : null;
  }, id);
}

// Mouse actions on the frame with test id i, at the middle of its drawn rectangle.
async function frameCenter(page, i, xpad = 10) {
  const box = await page.locator(`[data-test-frame="${i}"] > rect`).boundingBox();
  if (!box) throw new Error(`frame ${i} is not displayed`);
  const width = page.viewportSize().width;
  const left = Math.max(box.x, xpad);
  const right = Math.min(box.x + box.width, width - xpad);
  return { x: (left + right) / 2, y: box.y + box.height / 2 };
}

export async function clickFrame(page, i) {
  const c = await frameCenter(page, i);
  await page.mouse.click(c.x, c.y);
}

export async function hoverFrame(page, i) {
  const c = await frameCenter(page, i);
  await page.mouse.move(c.x, c.y);
}

export async function clickId(page, id) {
  const box = await page.locator('#' + id).boundingBox();
  if (!box) throw new Error(`#${id} is not displayed`);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

// Waits until the URL's fragment has the state `want` (key -> value, null: absent);
// the viewer writes it just after drawing.
export async function waitForHash(page, want) {
  await page.waitForFunction((want) => {
    const p = new URLSearchParams(location.hash.slice(1));
    return Object.entries(want).every(([k, v]) => p.get(k) === v);
  }, want, { timeout: 5000 });
  return new URLSearchParams(new URL(page.url()).hash.slice(1));
}

// ---- an independent model of the graph, to compute what the page should show ---------

// "NAME (1,234 samples, 5.67%)" -> { name, count }
export function parseTitle(title) {
  const m = / \(([\d,]+(?:\.\d+)?) [^,()]*, [^()]*\)$/.exec(title);
  return m ? { name: title.slice(0, m.index), count: parseFloat(m[1].replace(/,/g, '')) }
    : { name: title, count: NaN };
}

// Parent of every frame: the nearest frame one level toward the root whose x range
// contains it. `inverted`: the root is at the top.
export function tree(fs0, inverted) {
  const byLevel = new Map();
  fs0.forEach((f, i) => {
    if (!byLevel.has(f.y)) byLevel.set(f.y, []);
    byLevel.get(f.y).push(i);
  });
  const ys = [...byLevel.keys()].sort((a, b) => a - b);
  const step = ys.length > 1 ? ys[1] - ys[0] : 16;
  return fs0.map((f) => {
    const up = byLevel.get(inverted ? f.y - step : f.y + step) || [];
    const p = up.find((j) => fs0[j].ax <= f.ax + 0.05 && f.ax + f.aw <= fs0[j].ax + fs0[j].aw + 0.11);
    return p === undefined ? -1 : p;
  });
}

export function ancestors(parents, i) {
  const out = [];
  for (let a = parents[i]; a >= 0; a = parents[a]) out.push(a);
  return out;
}

export function isDescendant(parents, i, of) {
  for (let a = parents[i]; a >= 0; a = parents[a]) if (a === of) return true;
  return false;
}

// flamegraph.pl's label rule: floor(width / (fontsize * fontwidth)) characters, the
// last two replaced by ".." when the name is longer, nothing below three characters.
export function expectedLabel(name, width, cfg = DEFAULTS) {
  const chars = Math.floor(width / (cfg.fontsize * cfg.fontwidth));
  if (chars < 3) return '';
  if (chars >= name.length) return name;
  return name.slice(0, chars - 2) + '..';
}

// "Matched: N%": the samples of matching frames within `scope` (a frame index, or -1
// for the whole graph), a match inside a match counted once, out of `base` samples.
export function expectedMatched(fs0, parents, re, scope, base) {
  const info = fs0.map((f) => parseTitle(f.title));
  const matches = (i) => re.test(info[i].name);
  let sum = 0;
  if (scope >= 0 && [scope, ...ancestors(parents, scope)].some(matches)) {
    sum = info[scope].count;
  } else {
    fs0.forEach((f, i) => {
      if (!matches(i)) return;
      if (scope >= 0 && !isDescendant(parents, i, scope)) return;
      if (ancestors(parents, i).some(matches)) return;
      sum += info[i].count;
    });
  }
  const pct = Math.min(100, (100 * sum) / base);
  return 'Matched: ' + (pct === 100 ? '100' : pct.toFixed(1)) + '%';
}
