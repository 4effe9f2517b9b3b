/*
 * app.js: the flamekit serve web UI (with index.html and app.css; embedded in the binary).
 *
 * What it does, all against the server's HTTP API (same origin):
 *   - the toolbar: an app picker (GET /api/apps), label pickers (GET /label-names and
 *     /label-values; a chosen value adds the matcher label="value" to the query), the
 *     query itself (editable), and a time range (presets or custom from/until);
 *   - the timeline: samples per bucket of GET /render?format=json's "timeline", drawn as
 *     an SVG area; a drag on it selects a sub-range;
 *   - the single view: the functions table (GET /render?format=top; sortable) and the
 *     flame graph (GET /render?format=svg&width=W, the SVG of `flamekit flamegraph` with
 *     its own viewer: zoom, search, tooltips) in an iframe;
 *   - the diff view: sides A and B, each the query narrowed by a label value and/or its
 *     own time range; the red/blue graph of GET /render-diff?format=svg and a table of
 *     self shares in A and B and their change (two format=top calls);
 *   - the state (query, from, until, view, diff sides, layout) in the URL fragment, so a
 *     link reopens the same view;
 *   - with a server started with --token: a 401 asks for the token (kept in
 *     sessionStorage) and every call then sends "Authorization: Bearer TOKEN". The SVG is
 *     fetched with that header too and shown from a blob: URL.
 * Names from profiles and labels reach the DOM only as text (textContent, attributes,
 * option values), never as markup.
 *
 * Plain ES2017, no dependencies, no external URLs, no build step.
 */
(function () {
	"use strict";

	const SVG_NS = "http://www.w3.org/2000/svg";
	const TOKEN_KEY = "flamekit.token";
	const PRESETS = ["now-5m", "now-1h", "now-24h", "now-7d"];
	const MAX_ROWS = 2000; // table rows drawn at most (the rest: "N more")

	const $ = (id) => document.getElementById(id);

	// ---- state (mirrored in the URL fragment) -----------------------------------------

	function emptySide() {
		return { label: "", value: "", from: "", until: "" };
	}

	const state = {
		query: "",
		from: "now-1h",
		until: "now",
		view: "single", // or "diff"
		layout: "both", // "table", "both", "graph"
		a: emptySide(),
		b: emptySide(),
	};
	const ui = {
		drag: "main", // what a timeline drag selects in the diff view: "main", "a", "b"
		search: "",
		picked: "", // the function picked in the table (highlighted in the graph)
		sort: { single: { key: "flat", desc: true }, diff: { key: "change", desc: true } },
	};

	function readHash() {
		const h = new URLSearchParams(location.hash.replace(/^#/, ""));
		state.query = h.get("query") || "";
		state.from = h.get("from") || "now-1h";
		state.until = h.get("until") || "now";
		state.view = h.get("view") === "diff" ? "diff" : "single";
		const layout = h.get("layout");
		state.layout = layout === "table" || layout === "graph" ? layout : "both";
		for (const s of ["a", "b"]) {
			state[s] = {
				label: h.get(s + "Label") || "",
				value: h.get(s + "Value") || "",
				from: h.get(s + "From") || "",
				until: h.get(s + "Until") || "",
			};
		}
	}

	function writeHash() {
		const h = new URLSearchParams();
		if (state.query) h.set("query", state.query);
		h.set("from", state.from);
		h.set("until", state.until);
		h.set("view", state.view);
		if (state.layout !== "both") h.set("layout", state.layout);
		if (state.view === "diff") {
			for (const s of ["a", "b"]) {
				const side = state[s];
				if (side.label) h.set(s + "Label", side.label);
				if (side.label && side.value) h.set(s + "Value", side.value);
				if (side.from) h.set(s + "From", side.from);
				if (side.from && side.until) h.set(s + "Until", side.until);
			}
		}
		const hash = "#" + h.toString();
		if (hash !== location.hash) history.replaceState(null, "", hash);
	}

	// ---- queries: APP.TYPE{label="value",label=~"re"} -----------------------------------

	function parseQuery(q) {
		const m = /^\s*([^{}\s]*)\s*(?:\{([\s\S]*)\})?\s*$/.exec(q || "");
		if (!m) return { name: "", matchers: [], ok: false };
		const matchers = [];
		const body = m[2] || "";
		const re = /\s*([A-Za-z0-9_.]+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
		let at = 0;
		while (at < body.length && body.slice(at).trim()) {
			re.lastIndex = at;
			const x = re.exec(body);
			if (!x) return { name: m[1], matchers, ok: false };
			matchers.push({ name: x[1], op: x[2], value: x[3].replace(/\\(.)/g, "$1") });
			at = re.lastIndex;
		}
		return { name: m[1], matchers, ok: true };
	}

	function quote(v) {
		return '"' + String(v).replace(/[\\"]/g, "\\$&") + '"';
	}

	function formatQuery(name, matchers) {
		return name + "{" + matchers.map((m) => m.name + m.op + quote(m.value)).join(",") + "}";
	}

	// The query with the matchers on `label` replaced by label="value" (or just dropped
	// when value is null).
	function withMatcher(query, label, value) {
		const p = parseQuery(query);
		const rest = p.matchers.filter((m) => m.name !== label);
		if (value !== null) rest.push({ name: label, op: "=", value: value });
		return formatQuery(p.name, rest);
	}

	function appOf(query) {
		return parseQuery(query).name;
	}

	// ---- times ---------------------------------------------------------------------------

	const UNIT = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

	// An API time ("now", "now-1h", Unix s/ms/us/ns) to Unix seconds, by this clock.
	function toSec(t, now) {
		if (!t || t === "now") return now;
		let m = /^now-(\d+)([smhdw])$/.exec(t);
		if (m) return now - Number(m[1]) * UNIT[m[2]];
		m = /^\d+$/.exec(t);
		if (m) {
			let v = Number(t);
			if (v > 1e17) v /= 1e9;
			else if (v > 1e14) v /= 1e6;
			else if (v > 1e11) v /= 1e3;
			return Math.floor(v);
		}
		return NaN;
	}

	const nowSec = () => Math.floor(Date.now() / 1000);
	const pad2 = (n) => String(n).padStart(2, "0");

	// Unix seconds <-> the value of an <input type="datetime-local"> (local time).
	function toLocalInput(sec) {
		const d = new Date(sec * 1000);
		return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + "T" +
			pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
	}

	function fromLocalInput(v) {
		const t = new Date(v).getTime();
		return isFinite(t) ? Math.floor(t / 1000) : NaN;
	}

	function fmtTime(sec, span) {
		const d = new Date(sec * 1000);
		const hm = pad2(d.getHours()) + ":" + pad2(d.getMinutes());
		if (span <= 600) return hm + ":" + pad2(d.getSeconds());
		if (span <= 86400 * 1.5) return hm;
		return pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + " " + hm;
	}

	function describeRange(from, until) {
		const names = { "now-5m": "last 5 minutes", "now-1h": "last hour", "now-24h": "last 24 hours", "now-7d": "last 7 days" };
		if (until === "now" && names[from]) return names[from];
		const now = nowSec();
		const f = toSec(from, now);
		const u = toSec(until, now);
		if (!isFinite(f) || !isFinite(u)) return from + " – " + until;
		return fmtTime(f, u - f) + " – " + fmtTime(u, u - f);
	}

	// ---- numbers ---------------------------------------------------------------------------

	function fmtNum(n) {
		return Number(n).toLocaleString("en-US", { maximumFractionDigits: 2 });
	}

	function fmtPct(p) {
		if (!isFinite(p)) return "–";
		return (Math.abs(p) >= 10 ? p.toFixed(1) : p.toFixed(2)) + "%";
	}

	// ---- the API, with the token when one is needed -----------------------------------------

	let tokenPrompt = null; // the pending prompt, shared by all calls that got a 401

	function askToken(message) {
		if (tokenPrompt) return tokenPrompt;
		tokenPrompt = new Promise((resolve) => {
			$("login-msg").textContent = message;
			$("login").hidden = false;
			const input = $("login-token");
			input.value = "";
			input.focus();
			$("login-form").onsubmit = (e) => {
				e.preventDefault();
				const t = input.value.trim();
				if (!t) return;
				sessionStorage.setItem(TOKEN_KEY, t);
				$("login").hidden = true;
				tokenPrompt = null;
				resolve();
			};
		});
		return tokenPrompt;
	}

	function authHeaders() {
		const t = sessionStorage.getItem(TOKEN_KEY);
		return t ? { Authorization: "Bearer " + t } : {};
	}

	// GET path?params; `as`: "json" or "text". Throws an Error saying what failed.
	async function api(path, params, as) {
		const qs = new URLSearchParams();
		for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") qs.set(k, v);
		const url = path + (qs.toString() ? "?" + qs.toString() : "");
		for (;;) {
			const had = sessionStorage.getItem(TOKEN_KEY);
			let r;
			try {
				r = await fetch(url, { headers: authHeaders(), cache: "no-store" });
			} catch (e) {
				throw new Error(path + ": the server does not answer (" + e.message + ")");
			}
			if (r.status === 401) {
				await askToken(had ? "The token was not accepted. Enter the server's token (flamekit serve --token)."
					: "This server needs an access token (flamekit serve --token).");
				continue;
			}
			if (!r.ok) {
				const text = (await r.text()).trim();
				throw new Error(path + ": " + r.status + (text ? " " + text.slice(0, 300) : ""));
			}
			return as === "text" ? r.text() : r.json();
		}
	}

	// ---- status line ------------------------------------------------------------------------

	function setStatus(text, isError) {
		const s = $("status");
		s.textContent = text;
		s.classList.toggle("error", !!isError);
		s.title = text;
	}

	function setBusy(busy) {
		document.body.setAttribute("data-state", busy);
	}

	// ---- toolbar: apps, labels, query, range ---------------------------------------------

	let apps = [];
	let labelNames = [];

	function fillSelect(sel, items, placeholder) {
		sel.textContent = "";
		if (placeholder !== undefined) {
			const o = document.createElement("option");
			o.value = "";
			o.textContent = placeholder;
			sel.appendChild(o);
		}
		for (const it of items) {
			const o = document.createElement("option");
			o.value = typeof it === "string" ? it : it.value;
			o.textContent = typeof it === "string" ? it : it.text;
			sel.appendChild(o);
		}
	}

	async function loadApps() {
		try {
			const list = await api("/api/apps", {}, "json");
			apps = Array.isArray(list) ? list.filter((a) => a && typeof a.name === "string") : [];
		} catch (e) {
			setStatus(e.message, true);
			apps = [];
		}
		apps.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
	}

	function syncAppSelect() {
		const sel = $("app");
		const name = appOf(state.query);
		const names = apps.map((a) => a.name);
		if (name && !names.includes(name)) names.push(name);
		fillSelect(sel, names, names.length ? undefined : "no apps yet");
		sel.value = name;
	}

	let labelsFor = null; // the app labelNames were loaded for

	async function loadLabelNames() {
		const app = appOf(state.query);
		if (app === labelsFor) return;
		labelsFor = app;
		labelNames = [];
		if (app) {
			try {
				const names = await api("/label-names", { query: app + "{}" }, "json");
				if (Array.isArray(names)) labelNames = names.filter((n) => typeof n === "string" && n !== "__name__");
			} catch (e) {
				setStatus(e.message, true);
			}
		}
		fillSelect($("label-name"), labelNames, "+ label");
		for (const s of ["a", "b"]) syncSide(s);
	}

	async function labelValues(label, query) {
		const v = await api("/label-values", { label: label, query: query }, "json");
		return Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
	}

	function syncChips() {
		const box = $("matchers");
		box.textContent = "";
		const p = parseQuery(state.query);
		if (!p.ok) return;
		p.matchers.forEach((m, i) => {
			const chip = document.createElement("span");
			chip.className = "chip";
			chip.setAttribute("data-matcher", m.name);
			const t = document.createElement("span");
			t.textContent = m.name + m.op + quote(m.value);
			const x = document.createElement("button");
			x.type = "button";
			x.textContent = "×";
			x.title = "Remove this matcher";
			x.addEventListener("click", () => {
				const left = p.matchers.filter((_, j) => j !== i);
				state.query = formatQuery(p.name, left);
				render();
			});
			chip.appendChild(t);
			chip.appendChild(x);
			box.appendChild(chip);
		});
	}

	function syncRange() {
		const sel = $("range");
		const preset = state.until === "now" && PRESETS.includes(state.from);
		sel.value = preset ? state.from : "custom";
		$("custom-range").hidden = preset && !customOpen;
		if (!preset || customOpen) {
			const now = nowSec();
			const f = toSec(state.from, now);
			const u = toSec(state.until, now);
			if (isFinite(f)) $("from").value = toLocalInput(f);
			if (isFinite(u)) $("until").value = toLocalInput(u);
		}
	}

	let customOpen = false;

	function syncTabs() {
		for (const b of document.querySelectorAll("#tabs .tab")) b.classList.toggle("on", b.getAttribute("data-view") === state.view);
		for (const b of document.querySelectorAll("#tabs [data-layout]")) b.classList.toggle("on", b.getAttribute("data-layout") === state.layout);
		for (const b of document.querySelectorAll("[data-drag]")) b.classList.toggle("on", b.getAttribute("data-drag") === ui.drag);
		$("content").className = "layout-" + state.layout;
		$("diff-bar").hidden = state.view !== "diff";
		$("legend").hidden = state.view !== "diff";
	}

	// ---- diff sides ---------------------------------------------------------------------

	function sideEl(s) {
		return $("side-" + s);
	}

	function sideQuery(s) {
		const side = state[s];
		if (side.label && side.value) return withMatcher(state.query, side.label, side.value);
		return state.query;
	}

	function sideRange(s) {
		const side = state[s];
		if (side.from) return { from: side.from, until: side.until || "now" };
		return { from: state.from, until: state.until };
	}

	const sideValuesFor = { a: null, b: null }; // "label\0query" the values were loaded for

	async function syncSide(s) {
		const el = sideEl(s);
		const side = state[s];
		const labelSel = el.querySelector(".side-label");
		const names = labelNames.slice();
		if (side.label && !names.includes(side.label)) names.push(side.label);
		fillSelect(labelSel, names, "any labels");
		labelSel.value = side.label;
		const valueSel = el.querySelector(".side-value");
		valueSel.hidden = !side.label;
		el.querySelector(".eq").hidden = !side.label;
		const rangeSel = el.querySelector(".side-range");
		const preset = !side.from || ((side.until || "now") === "now" && PRESETS.includes(side.from));
		rangeSel.value = preset ? side.from : "custom";
		el.querySelector(".side-times").textContent = side.from && !preset ? describeRange(side.from, side.until) : "";
		if (!side.label) return;
		const key = side.label + "\0" + state.query;
		if (sideValuesFor[s] !== key) {
			sideValuesFor[s] = key;
			let values = [];
			try {
				values = await labelValues(side.label, withMatcher(state.query, side.label, null));
			} catch (e) {
				setStatus(e.message, true);
			}
			if (side.value && !values.includes(side.value)) values.push(side.value);
			fillSelect(valueSel, values, "choose…");
		}
		valueSel.value = side.value;
	}

	// ---- the timeline ---------------------------------------------------------------------

	let timeline = null; // the last timeline data
	let tlScale = null; // { t0, t1, x0, x1 } of the drawing

	function svgEl(tag, attrs, parent) {
		const e = document.createElementNS(SVG_NS, tag);
		for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
		if (parent) parent.appendChild(e);
		return e;
	}

	const TICKS = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

	function drawTimeline() {
		const svg = $("timeline");
		svg.textContent = "";
		const W = svg.clientWidth || 800;
		const H = svg.clientHeight || 96;
		const x0 = 46;
		const x1 = W - 8;
		const yTop = 8;
		const yBase = H - 16;
		const now = nowSec();
		let t0 = toSec(state.from, now);
		let t1 = toSec(state.until, now);
		const tl = timeline;
		const samples = tl && Array.isArray(tl.samples) ? tl.samples.map((v) => (typeof v === "number" && isFinite(v) ? v : 0)) : [];
		const delta = tl && tl.durationDelta > 0 ? tl.durationDelta : 0;
		const start = tl && isFinite(tl.startTime) ? tl.startTime : t0;
		if (!isFinite(t0) || !isFinite(t1) || t1 <= t0) {
			t0 = start;
			t1 = start + Math.max(1, samples.length * delta);
		}
		tlScale = { t0: t0, t1: t1, x0: x0, x1: x1 };
		const X = (t) => x0 + ((t - t0) / (t1 - t0)) * (x1 - x0);
		let max = 0;
		for (const v of samples) if (v > max) max = v;
		const Y = (v) => yBase - (max > 0 ? (v / max) * (yBase - yTop) : 0);

		// grid and axes
		const span = t1 - t0;
		const step = TICKS.find((s) => span / s <= Math.max(2, (x1 - x0) / 110)) || 604800;
		const offset = new Date().getTimezoneOffset() * 60; // ticks on local round times
		for (let t = Math.ceil((t0 - offset) / step) * step + offset; t <= t1; t += step) {
			const x = X(t);
			svgEl("line", { class: "grid", x1: x, x2: x, y1: yTop, y2: yBase }, svg);
			const label = svgEl("text", { x: x, y: H - 3, "text-anchor": "middle" }, svg);
			label.textContent = fmtTime(t, span);
		}
		svgEl("line", { class: "axis", x1: x0, x2: x1, y1: yBase, y2: yBase }, svg);
		if (max > 0) {
			const top = svgEl("text", { x: x0 - 5, y: yTop + 8, "text-anchor": "end" }, svg);
			top.textContent = fmtNum(max);
		}
		const zero = svgEl("text", { x: x0 - 5, y: yBase, "text-anchor": "end" }, svg);
		zero.textContent = "0";

		if (max > 0 && delta > 0) {
			// a step area: one flat top per bucket, clipped to the drawing
			const clamp = (x) => Math.max(x0, Math.min(x1, x));
			let d = "M" + clamp(X(start)).toFixed(1) + "," + yBase;
			samples.forEach((v, i) => {
				const a = clamp(X(start + i * delta));
				const b = clamp(X(start + (i + 1) * delta));
				const y = Y(v).toFixed(1);
				d += "L" + a.toFixed(1) + "," + y + "L" + b.toFixed(1) + "," + y;
			});
			d += "L" + clamp(X(start + samples.length * delta)).toFixed(1) + "," + yBase + "Z";
			svgEl("path", { class: "area", d: d }, svg);
		} else {
			const t = svgEl("text", { class: "none", x: (x0 + x1) / 2, y: (yTop + yBase) / 2 + 4, "text-anchor": "middle" }, svg);
			t.textContent = timeline ? "no samples in this range" : "";
		}

		// the diff sides' own ranges
		if (state.view === "diff") {
			for (const s of ["a", "b"]) {
				if (!state[s].from) continue;
				const r = sideRange(s);
				const f = toSec(r.from, now);
				const u = toSec(r.until, now);
				if (!isFinite(f) || !isFinite(u)) continue;
				const a = Math.max(x0, X(f));
				const b = Math.min(x1, X(u));
				if (b <= a) continue;
				svgEl("rect", { class: "sel sel-" + s, x: a, y: yTop, width: b - a, height: yBase - yTop }, svg);
				const label = svgEl("text", { class: "sel-label", x: a + 4, y: yTop + 12 }, svg);
				label.textContent = s.toUpperCase();
			}
		}
		// for tests and tools: the scale and the data drawn
		svg.setAttribute("data-t0", String(t0));
		svg.setAttribute("data-t1", String(t1));
		svg.setAttribute("data-x0", String(x0));
		svg.setAttribute("data-x1", String(x1));
		svg.setAttribute("data-max", String(max));
		svg.setAttribute("data-buckets", String(samples.length));
	}

	function timeAt(clientX) {
		const r = $("timeline").getBoundingClientRect();
		const s = tlScale;
		const x = Math.max(s.x0, Math.min(s.x1, clientX - r.left));
		return s.t0 + ((x - s.x0) / (s.x1 - s.x0)) * (s.t1 - s.t0);
	}

	function bindTimelineDrag() {
		const svg = $("timeline");
		let startX = null;
		let rect = null;
		svg.addEventListener("pointerdown", (e) => {
			if (!tlScale || e.button !== 0) return;
			startX = e.clientX;
			svg.setPointerCapture(e.pointerId);
			rect = svgEl("rect", { class: "sel", y: 8, height: Math.max(0, (svg.clientHeight || 96) - 24), x: 0, width: 0 }, svg);
		});
		svg.addEventListener("pointermove", (e) => {
			if (startX === null) return;
			const r = svg.getBoundingClientRect();
			const s = tlScale;
			const a = Math.max(s.x0, Math.min(s.x1, Math.min(startX, e.clientX) - r.left));
			const b = Math.max(s.x0, Math.min(s.x1, Math.max(startX, e.clientX) - r.left));
			rect.setAttribute("x", a);
			rect.setAttribute("width", b - a);
		});
		const finish = (e) => {
			if (startX === null) return;
			const dx = Math.abs(e.clientX - startX);
			const ta = timeAt(Math.min(startX, e.clientX));
			const tb = timeAt(Math.max(startX, e.clientX));
			startX = null;
			if (rect) rect.remove();
			rect = null;
			if (dx < 4 || e.type === "pointercancel") return;
			const from = String(Math.floor(ta));
			const until = String(Math.max(Math.floor(ta) + 1, Math.ceil(tb)));
			if (state.view === "diff" && ui.drag !== "main") {
				state[ui.drag].from = from;
				state[ui.drag].until = until;
			} else {
				state.from = from;
				state.until = until;
				customOpen = false;
			}
			render();
		};
		svg.addEventListener("pointerup", finish);
		svg.addEventListener("pointercancel", finish);
	}

	// ---- the flame graph (an SVG in the iframe) ---------------------------------------------

	let graphUrl = null;

	function graphWidth() {
		const pane = $("graph-pane");
		return Math.max(300, Math.floor(pane.clientWidth || 1000));
	}

	function escapeRe(s) {
		return s.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&");
	}

	// What the graph's own search should show: the picked function, else the search box.
	function graphSearch() {
		if (ui.picked) return { s: "^" + escapeRe(ui.picked) + "$", i: false };
		if (ui.search) return { s: escapeRe(ui.search), i: true };
		return null;
	}

	function graphHash() {
		const g = graphSearch();
		if (!g) return "";
		const h = new URLSearchParams();
		h.set("s", g.s);
		if (g.i) h.set("i", "1");
		return "#" + h.toString();
	}

	// Tells the viewer in the frame to search (it listens to hashchange).
	function updateGraphSearch() {
		const w = $("graph").contentWindow;
		if (!graphUrl || !w) return;
		try {
			const url = new URL(w.location.href);
			const h = new URLSearchParams(url.hash.replace(/^#/, ""));
			h.delete("s");
			h.delete("i");
			const g = graphSearch();
			if (g) {
				h.set("s", g.s);
				if (g.i) h.set("i", "1");
			}
			url.hash = h.toString();
			w.history.replaceState(null, "", url.href);
			w.dispatchEvent(new HashChangeEvent("hashchange"));
		} catch (e) {
			// the frame is not ours (yet): the next graph gets the search in its URL
		}
	}

	function showGraph(svgText) {
		const frame = $("graph");
		const old = graphUrl;
		graphUrl = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
		return new Promise((resolve) => {
			frame.onload = () => {
				frame.onload = null;
				try {
					const root = frame.contentDocument.documentElement;
					const h = parseFloat(root.getAttribute("height"));
					if (isFinite(h) && h > 0) frame.style.height = Math.ceil(h) + "px";
				} catch (e) {
					// leave the height
				}
				if (old) URL.revokeObjectURL(old);
				resolve();
			};
			frame.hidden = false;
			$("graph-empty").hidden = true;
			frame.src = graphUrl + graphHash();
		});
	}

	function showNoGraph(message) {
		const frame = $("graph");
		frame.hidden = true;
		frame.removeAttribute("src");
		if (graphUrl) URL.revokeObjectURL(graphUrl);
		graphUrl = null;
		const e = $("graph-empty");
		e.textContent = message;
		e.hidden = false;
	}

	// ---- tables -------------------------------------------------------------------------------

	let tableData = null; // { kind: "single"|"diff", rows, total(s), units }

	const COLUMNS = {
		single: [
			{ key: "name", title: "Function", cls: "name" },
			{ key: "flat", title: "Self", num: true },
			{ key: "flatPct", title: "Self %", pct: true },
			{ key: "cum", title: "Total", num: true },
			{ key: "cumPct", title: "Total %", pct: true },
		],
		diff: [
			{ key: "name", title: "Function", cls: "name" },
			{ key: "a", title: "A self", num: true },
			{ key: "aPct", title: "A %", pct: true },
			{ key: "b", title: "B self", num: true },
			{ key: "bPct", title: "B %", pct: true },
			{ key: "change", title: "Change", change: true },
		],
	};

	function topRows(top) {
		const rows = top && Array.isArray(top.rows) ? top.rows : [];
		return rows.filter((r) => r && typeof r.name === "string").map((r) => ({
			name: r.name,
			flat: Number(r.flat) || 0,
			cum: Number(r.cum) || 0,
		}));
	}

	function singleTable(top) {
		const total = Number(top && top.total) || 0;
		const rows = topRows(top).map((r) => ({
			name: r.name,
			flat: r.flat,
			cum: r.cum,
			flatPct: total > 0 ? (100 * r.flat) / total : NaN,
			cumPct: total > 0 ? (100 * r.cum) / total : NaN,
		}));
		return { kind: "single", rows: rows, total: total, units: (top && top.units) || "samples" };
	}

	function diffTable(topA, topB) {
		const ta = Number(topA && topA.total) || 0;
		const tb = Number(topB && topB.total) || 0;
		const byName = new Map();
		for (const r of topRows(topA)) byName.set(r.name, { name: r.name, a: r.flat, b: 0 });
		for (const r of topRows(topB)) {
			const e = byName.get(r.name) || { name: r.name, a: 0, b: 0 };
			e.b = r.flat;
			byName.set(r.name, e);
		}
		const rows = [];
		for (const e of byName.values()) {
			e.aPct = ta > 0 ? (100 * e.a) / ta : 0;
			e.bPct = tb > 0 ? (100 * e.b) / tb : 0;
			e.change = e.bPct - e.aPct;
			if (e.a || e.b) rows.push(e);
		}
		return { kind: "diff", rows: rows, totalA: ta, totalB: tb, units: (topB && topB.units) || (topA && topA.units) || "samples" };
	}

	function sortRows(rows, sort) {
		const k = sort.key;
		const dir = sort.desc ? -1 : 1;
		const val = (r) => (k === "change" ? Math.abs(r.change) : r[k]);
		return rows.slice().sort((x, y) => {
			const a = val(x);
			const b = val(y);
			if (a !== b) {
				if (typeof a === "string") return (a < b ? -1 : 1) * dir;
				return (a - b) * dir;
			}
			return x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
		});
	}

	function drawTable() {
		const table = $("table");
		const thead = table.tHead;
		const tbody = table.tBodies[0];
		thead.textContent = "";
		tbody.textContent = "";
		$("table-note").textContent = "";
		if (!tableData) return;
		const kind = tableData.kind;
		table.setAttribute("data-kind", kind);
		const cols = COLUMNS[kind];
		const sort = ui.sort[kind];
		const hr = document.createElement("tr");
		for (const c of cols) {
			const th = document.createElement("th");
			th.textContent = c.title;
			th.setAttribute("data-key", c.key);
			if (c.num) th.title = tableData.units;
			if (sort.key === c.key) th.className = "sorted" + (sort.desc ? "" : " asc");
			th.addEventListener("click", () => {
				if (sort.key === c.key) sort.desc = !sort.desc;
				else {
					sort.key = c.key;
					sort.desc = c.key !== "name";
				}
				drawTable();
			});
			hr.appendChild(th);
		}
		thead.appendChild(hr);

		const needle = ui.search.toLowerCase();
		let rows = tableData.rows;
		if (needle) rows = rows.filter((r) => r.name.toLowerCase().includes(needle));
		rows = sortRows(rows, sort);
		const shown = rows.slice(0, MAX_ROWS);
		const frag = document.createDocumentFragment();
		for (const r of shown) {
			const tr = document.createElement("tr");
			tr.setAttribute("data-name", r.name);
			if (r.name === ui.picked) tr.className = "picked";
			for (const c of cols) {
				const td = document.createElement("td");
				const v = r[c.key];
				if (c.key === "name") {
					td.className = "name";
					td.textContent = v;
					td.title = v;
				} else if (c.num) {
					td.textContent = fmtNum(v);
					td.setAttribute("data-value", String(v));
				} else if (c.pct) {
					td.className = "pct";
					td.setAttribute("data-value", String(v));
					const bar = document.createElement("div");
					bar.className = "bar";
					bar.style.width = (isFinite(v) ? Math.max(0, Math.min(100, v)) : 0) + "%";
					const span = document.createElement("span");
					span.textContent = fmtPct(v);
					td.appendChild(bar);
					td.appendChild(span);
				} else if (c.change) {
					td.setAttribute("data-value", String(v));
					const tiny = Math.abs(v) < 0.005;
					td.className = tiny ? "" : v > 0 ? "grew" : "shrank";
					td.textContent = tiny ? "0" : (v > 0 ? "+" : "−") + fmtPct(Math.abs(v));
					td.title = "change of the share of all samples (percentage points)";
				}
				tr.appendChild(td);
			}
			frag.appendChild(tr);
		}
		tbody.appendChild(frag);
		const notes = [];
		if (kind === "single") notes.push(fmtNum(tableData.total) + " " + tableData.units + " in all");
		else notes.push("A: " + fmtNum(tableData.totalA) + ", B: " + fmtNum(tableData.totalB) + " " + tableData.units);
		if (rows.length > shown.length) notes.push((rows.length - shown.length) + " more functions not shown");
		if (needle) notes.push(rows.length + " of " + tableData.rows.length + " functions match");
		$("table-note").textContent = notes.join(" · ");
	}

	function bindTable() {
		$("table").tBodies[0].addEventListener("click", (e) => {
			const tr = e.target.closest("tr");
			if (!tr) return;
			const name = tr.getAttribute("data-name");
			ui.picked = ui.picked === name ? "" : name;
			for (const row of $("table").tBodies[0].rows) row.classList.toggle("picked", row.getAttribute("data-name") === ui.picked);
			updateGraphSearch();
		});
	}

	// ---- rendering ------------------------------------------------------------------------

	let generation = 0;

	function syncControls() {
		syncAppSelect();
		syncChips();
		syncRange();
		syncTabs();
		const q = $("query");
		if (document.activeElement !== q) q.value = state.query;
		q.classList.toggle("bad", !parseQuery(state.query).ok);
	}

	async function render() {
		const gen = ++generation;
		document.body.setAttribute("data-generation", String(gen));
		setBusy("loading");
		writeHash();
		syncControls();
		const stale = () => gen !== generation;
		loadLabelNames().then(() => {
			if (!stale()) for (const s of ["a", "b"]) syncSide(s);
		});
		if (!state.query) {
			timeline = null;
			tableData = null;
			drawTimeline();
			drawTable();
			showNoGraph(apps.length ? "Pick an app." : "No profiles yet: send some to /ingest.");
			setStatus("");
			setBusy("ready");
			return;
		}
		setStatus("Loading…");
		const wantGraph = state.layout !== "table";
		const width = graphWidth();
		try {
			const tl = api("/render", { query: state.query, from: state.from, until: state.until, format: "json", maxNodes: 64 }, "json");
			let svg;
			let table;
			if (state.view === "diff") {
				const a = sideRange("a");
				const b = sideRange("b");
				const aq = sideQuery("a");
				const bq = sideQuery("b");
				svg = wantGraph ? api("/render-diff", {
					leftQuery: aq, leftFrom: a.from, leftUntil: a.until,
					rightQuery: bq, rightFrom: b.from, rightUntil: b.until,
					format: "svg", width: width,
				}, "text") : null;
				table = Promise.all([
					api("/render", { query: aq, from: a.from, until: a.until, format: "top" }, "json"),
					api("/render", { query: bq, from: b.from, until: b.until, format: "top" }, "json"),
				]).then(([ta, tb]) => diffTable(ta, tb));
			} else {
				svg = wantGraph ? api("/render", { query: state.query, from: state.from, until: state.until, format: "svg", width: width }, "text") : null;
				table = api("/render", { query: state.query, from: state.from, until: state.until, format: "top" }, "json").then(singleTable);
			}
			const [tlJson, svgText, tdata] = await Promise.all([tl, svg, table]);
			if (stale()) return;
			timeline = tlJson && tlJson.timeline ? tlJson.timeline : null;
			drawTimeline();
			tableData = tdata;
			if (ui.picked && !tdata.rows.some((r) => r.name === ui.picked)) ui.picked = "";
			drawTable();
			const empty = tdata.kind === "single" ? tdata.total === 0 : tdata.totalA === 0 && tdata.totalB === 0;
			if (!wantGraph) {
				showNoGraph("");
			} else if (empty) {
				showNoGraph("No samples of " + state.query + " in " + describeRange(state.from, state.until) + ".");
			} else {
				await showGraph(svgText);
				if (stale()) return;
			}
			let msg;
			if (tdata.kind === "single") {
				msg = fmtNum(tdata.total) + " " + tdata.units + " · " + describeRange(state.from, state.until);
			} else {
				msg = "A: " + describeSide("a") + " · B: " + describeSide("b");
				if (!state.a.value && !state.b.value && !state.a.from && !state.b.from) msg = "Choose what A and B are: a label value or a time range each. " + msg;
			}
			setStatus(msg);
			setBusy("ready");
		} catch (e) {
			if (stale()) return;
			setStatus(e.message, true);
			setBusy("error");
		}
	}

	function describeSide(s) {
		const side = state[s];
		const r = sideRange(s);
		const what = side.label && side.value ? side.label + "=" + side.value : "all";
		return what + ", " + describeRange(r.from, r.until);
	}

	// ---- wiring -------------------------------------------------------------------------------

	function debounce(fn, ms) {
		let t = null;
		return function () {
			clearTimeout(t);
			t = setTimeout(fn, ms);
		};
	}

	function bind() {
		$("app").addEventListener("change", (e) => {
			const app = e.target.value;
			state.query = app ? app + "{}" : "";
			state.a = emptySide();
			state.b = emptySide();
			ui.picked = "";
			render();
		});

		$("label-name").addEventListener("change", async (e) => {
			const label = e.target.value;
			const valueSel = $("label-value");
			if (!label) {
				valueSel.hidden = true;
				return;
			}
			let values = [];
			try {
				values = await labelValues(label, withMatcher(state.query, label, null));
			} catch (err) {
				setStatus(err.message, true);
			}
			fillSelect(valueSel, values, values.length ? label + " = …" : "no values");
			valueSel.hidden = false;
			valueSel.focus();
		});

		$("label-value").addEventListener("change", (e) => {
			const label = $("label-name").value;
			const value = e.target.value;
			if (!label || !value) return;
			state.query = withMatcher(state.query, label, value);
			$("label-name").value = "";
			e.target.hidden = true;
			render();
		});

		$("query").addEventListener("keydown", (e) => {
			if (e.key !== "Enter") return;
			state.query = e.target.value.trim();
			render();
		});

		$("range").addEventListener("change", (e) => {
			const v = e.target.value;
			if (v === "custom") {
				customOpen = true;
				syncRange();
				return;
			}
			customOpen = false;
			state.from = v;
			state.until = "now";
			render();
		});

		$("apply-range").addEventListener("click", () => {
			const f = fromLocalInput($("from").value);
			const u = fromLocalInput($("until").value);
			if (!isFinite(f) || !isFinite(u) || u <= f) {
				setStatus("The custom range needs a start before its end.", true);
				return;
			}
			customOpen = false;
			state.from = String(f);
			state.until = String(u);
			render();
		});

		$("refresh").addEventListener("click", () => render());

		for (const b of document.querySelectorAll("#tabs .tab")) {
			b.addEventListener("click", () => {
				state.view = b.getAttribute("data-view");
				ui.picked = "";
				render();
			});
		}
		for (const b of document.querySelectorAll("#tabs [data-layout]")) {
			b.addEventListener("click", () => {
				state.layout = b.getAttribute("data-layout");
				render();
			});
		}
		for (const b of document.querySelectorAll("[data-drag]")) {
			b.addEventListener("click", () => {
				ui.drag = b.getAttribute("data-drag");
				syncTabs();
			});
		}

		for (const s of ["a", "b"]) {
			const el = sideEl(s);
			el.querySelector(".side-label").addEventListener("change", (e) => {
				state[s].label = e.target.value;
				state[s].value = "";
				sideValuesFor[s] = null;
				syncSide(s);
				writeHash();
				if (!state[s].label) render();
			});
			el.querySelector(".side-value").addEventListener("change", (e) => {
				state[s].value = e.target.value;
				render();
			});
			el.querySelector(".side-range").addEventListener("change", (e) => {
				const v = e.target.value;
				if (v === "custom") {
					ui.drag = s;
					syncTabs();
					setStatus("Drag on the timeline to select the range of " + s.toUpperCase() + ".");
					return;
				}
				state[s].from = v;
				state[s].until = v ? "now" : "";
				render();
			});
		}

		const onSearch = debounce(() => {
			ui.search = $("search").value.trim();
			ui.picked = "";
			drawTable();
			updateGraphSearch();
		}, 150);
		$("search").addEventListener("input", onSearch);

		bindTable();
		bindTimelineDrag();

		window.addEventListener("hashchange", () => {
			readHash();
			render();
		});
		let lastWidth = window.innerWidth;
		window.addEventListener("resize", debounce(() => {
			drawTimeline();
			if (Math.abs(window.innerWidth - lastWidth) > 40) {
				lastWidth = window.innerWidth;
				render();
			}
		}, 300));
	}

	async function main() {
		readHash();
		bind();
		setBusy("loading");
		await loadApps();
		if (!state.query && apps.length) state.query = apps[0].name + "{}";
		render();
	}

	if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
	else main();
})();
