/*
 * flamekit flame graph viewer.
 *
 * `flamekit flamegraph` embeds this file in every SVG it writes, in a CDATA section of
 * its <script type="text/ecmascript"> element, right after a line
 * `var fk_config = {...};` that carries the graph's options. The SVG has the same DOM as
 * flamegraph.pl's: text elements #title, #details, #unzoom, #search, #ignorecase and
 * #matched, and <g id="frames"> with one child per frame, each holding
 * <title>NAME (N samples, P%)</title>, a <rect> and a <text> label.
 *
 * What it adds to the static picture:
 *   - hover: the frame's name, count and share in #details;
 *   - click: zoom into a frame (its subtree fills the width, labels are refitted,
 *     ancestors stay visible but faded, everything else is hidden); "Reset Zoom" or a
 *     click on the bottom frame goes back; "% of zoom" shows shares of the zoomed frame;
 *   - search (click "Search", Ctrl-F or F3): a regular expression matched against frame
 *     names, matches painted in the search colour and "Matched: N%" (nested matches
 *     counted once); "ic" or Ctrl-I toggles case sensitivity;
 *   - the view lives in the URL fragment (#x=..&y=..&s=..&i=1&r=1), so a link reopens it.
 *
 * The frames are read into arrays once at load (and regrouped into blocks, see "zoom");
 * zoom and search then compute in those arrays and touch the DOM only where something
 * changes. Labels are fitted by
 * arithmetic (fontsize * fontwidth per character), as the generator fits them, never by
 * measuring text. Frame names only ever reach the DOM as text (textContent, nodeValue).
 *
 * Plain ES2017, no dependencies, no network. Everything is inside one closure; the only
 * outside name it reads is fk_config. This file must never contain the CDATA end marker
 * (two closing square brackets followed by a greater-than sign).
 */
(function () {
	"use strict";

	const SVG_NS = "http://www.w3.org/2000/svg";
	const XHTML_NS = "http://www.w3.org/1999/xhtml";
	const LABEL_PAD = 3; // a label starts this far right of its rect, as in the SVG
	const EPS = 0.11; // geometry is written with one decimal: tolerate its rounding

	const given = typeof fk_config === "object" && fk_config !== null ? fk_config : {};
	const cfg = {
		nametype: typeof given.nametype === "string" ? given.nametype : "Function:",
		fontsize: positive(given.fontsize, 12),
		fontwidth: positive(given.fontwidth, 0.59),
		xpad: finite(given.xpad, 10),
		inverted: typeof given.inverted === "boolean" ? given.inverted : null,
		searchcolor: typeof given.searchcolor === "string" ? given.searchcolor : "rgb(230,0,230)",
		countname: typeof given.countname === "string" ? given.countname : "samples",
	};

	// The <svg> this script belongs to (the document itself, or one SVG inlined in HTML).
	const script = document.currentScript;
	let svg = null;

	// UI elements.
	let framesEl, detailsEl, unzoomEl, searchEl, icEl, matchedEl, relEl;
	let searchBox = null; // <foreignObject> with the search input, made on first use
	let searchInput = null;
	let termBefore = ""; // the search when the box was opened, for Escape

	// The frames, by index in document order.
	let n = 0;
	let groups, rects, labels; // elements
	let names, titles, countTexts, restTexts; // strings from <title>
	let origX, origW, origLabelX, origLabel, origFill; // as in the SVG (some read when first needed)
	let x0, w0, y0, count; // rect x, width, y as in the SVG; samples
	let parent, order, pos, last; // tree: parent index, preorder, index -> preorder position, last preorder position of the subtree
	let total = 0;
	let svgWidth = 0;
	let svgHeight = 0;
	let fullWidth = 0; // the drawing's width: svgWidth minus the margins
	const charWidth = cfg.fontsize * cfg.fontwidth;

	// What the DOM shows now, to write only changes.
	let curLabel, hidden, faded, matched;
	let labelX; // label x attribute now
	let rxScale; // the scale the rect's corner radius is set for (1: as in the SVG)
	const rxOrig = new Map(); // frame -> rx as in the SVG, for the frames changed
	let chunks, chunkT, chunkScale; // the blocks of frames (see zoom), their transforms and x scales
	let ancestorsEl; // the group the zoomed frame's ancestors are lifted into
	let labelsEl; // the group the labels that show while zoomed are moved into
	let clipId; // the id of the clip to the drawing's width
	const lifted = new Set(); // frames in ancestorsEl
	const overlaid = new Set(); // frames whose label is in labelsEl
	let indexOf; // Map: frame element -> index

	// The view.
	let zoomed = -1; // index of the zoomed frame, or -1
	let term = ""; // search regex source ("" = no search)
	let ignoreCase = false;
	let relative = false;
	let started = false;

	function positive(v, dflt) {
		return typeof v === "number" && v > 0 && isFinite(v) ? v : dflt;
	}

	function finite(v, dflt) {
		return typeof v === "number" && isFinite(v) ? v : dflt;
	}

	function num(el, attr) {
		const v = parseFloat(el.getAttribute(attr));
		return isFinite(v) ? v : 0;
	}

	// An empty string leaves the element empty (no text node): empty labels are not
	// rendered at all (viewer.css), which keeps layout cheap on big graphs.
	function setText(el, s) {
		const t = el.firstChild;
		if (s && t && t.nodeType === 3 && !t.nextSibling) t.data = s;
		else el.textContent = s;
	}

	function byId(id) {
		return svg.querySelector("#" + id);
	}

	// ---- reading the frames ----------------------------------------------------------

	// "NAME (1,234 samples, 5.67%)" -> name, "1,234 samples", "5.67%", 1234.
	// The last parenthesised group is the counts; NAME may contain parentheses itself.
	function parseTitle(i, text) {
		const m = / \(([^()]*)\)$/.exec(text);
		titles[i] = text;
		if (!m) {
			names[i] = text;
			countTexts[i] = "";
			restTexts[i] = "";
			return NaN;
		}
		names[i] = text.slice(0, m.index);
		const inner = m[1];
		const comma = inner.indexOf(", ");
		countTexts[i] = comma < 0 ? inner : inner.slice(0, comma);
		restTexts[i] = comma < 0 ? "" : inner.slice(comma + 2);
		const c = /^[-+]?[\d,]+(\.\d+)?/.exec(countTexts[i]);
		return c ? parseFloat(c[0].replace(/,/g, "")) : NaN;
	}

	function readFrames() {
		// each frame: its element, rect, label and title
		const els = [];
		const parts = [];
		for (let g = framesEl.firstElementChild; g; g = g.nextElementSibling) {
			let r = null;
			let t = null;
			let title = null;
			for (let c = g.firstElementChild; c; c = c.nextElementSibling) {
				const tag = c.localName;
				if (tag === "rect" && !r) r = c;
				else if (tag === "text" && !t) t = c;
				else if (tag === "title" && !title) title = c;
			}
			if (!r) continue;
			els.push(g);
			parts.push(r, t, title);
		}
		n = els.length;
		groups = els;
		rects = new Array(n);
		labels = new Array(n);
		names = new Array(n);
		titles = new Array(n);
		countTexts = new Array(n);
		restTexts = new Array(n);
		origLabel = new Array(n);
		origFill = new Array(n);
		curLabel = new Array(n);
		x0 = new Float64Array(n);
		w0 = new Float64Array(n);
		y0 = new Float64Array(n);
		count = new Float64Array(n);
		hidden = new Uint8Array(n);
		faded = new Uint8Array(n);
		matched = new Uint8Array(n);
		labelX = new Array(n);
		origX = new Array(n);
		origW = new Array(n);
		origLabelX = new Array(n);
		rxScale = new Float64Array(n).fill(1);
		indexOf = new Map();

		let countsOk = true;
		let right = 0;
		for (let i = 0; i < n; i++) {
			const g = els[i];
			const r = parts[3 * i];
			let t = parts[3 * i + 1];
			const title = parts[3 * i + 2];
			if (!t) {
				t = document.createElementNS(SVG_NS, "text");
				t.setAttribute("x", num(r, "x") + LABEL_PAD);
				t.setAttribute("y", num(r, "y") + num(r, "height") / 2 + cfg.fontsize / 4);
				g.appendChild(t);
			}
			rects[i] = r;
			labels[i] = t;
			indexOf.set(g, i);
			origX[i] = r.getAttribute("x");
			origW[i] = r.getAttribute("width");
			x0[i] = parseFloat(origX[i]) || 0;
			w0[i] = parseFloat(origW[i]) || 0;
			y0[i] = num(r, "y");
			const c = parseTitle(i, title ? title.textContent : "");
			if (isNaN(c)) countsOk = false;
			count[i] = c;
			if (x0[i] + w0[i] > right) right = x0[i] + w0[i];
		}
		// Counts come from the titles; widths are proportional to them, so they stand
		// in when a title is not in the usual form.
		if (!countsOk) count.set(w0);

		const vb = svg.viewBox && svg.viewBox.baseVal;
		svgWidth = num(svg, "width") || (vb && vb.width) || right + cfg.xpad;
		svgHeight = num(svg, "height") || (vb && vb.height) || 10000;
		fullWidth = svgWidth - 2 * cfg.xpad;
	}

	// The tree, from geometry: sorting by x, then root-most first, then widest first
	// gives a preorder (a frame's subtree follows it contiguously), and a stack of open
	// frames gives each frame its parent.
	function buildTree() {
		if (cfg.inverted === null) cfg.inverted = detectInverted();
		const down = cfg.inverted ? 1 : -1; // y step from a frame to its children
		const depthKey = new Float64Array(n);
		for (let i = 0; i < n; i++) depthKey[i] = down * y0[i];

		const idx = new Array(n);
		for (let i = 0; i < n; i++) idx[i] = i;
		idx.sort((a, b) => x0[a] - x0[b] || depthKey[a] - depthKey[b] || w0[b] - w0[a] || a - b);
		order = Int32Array.from(idx);
		pos = new Int32Array(n);
		parent = new Int32Array(n);
		last = new Int32Array(n);

		const stack = [];
		total = 0;
		for (let k = 0; k < n; k++) {
			const i = order[k];
			pos[i] = k;
			last[i] = k;
			while (stack.length) {
				const p = stack[stack.length - 1];
				if (depthKey[p] < depthKey[i] && x0[i] + w0[i] <= x0[p] + w0[p] + EPS) break;
				stack.pop();
			}
			parent[i] = stack.length ? stack[stack.length - 1] : -1;
			if (parent[i] < 0) total += count[i];
			stack.push(i);
		}
		for (let k = n - 1; k >= 0; k--) {
			const i = order[k];
			const p = parent[i];
			if (p >= 0 && last[p] < last[i]) last[p] = last[i];
		}
	}

	// Icicle graphs have their root at the top: the top row is then the full one.
	function detectInverted() {
		let ymin = Infinity;
		let ymax = -Infinity;
		for (let i = 0; i < n; i++) {
			if (y0[i] < ymin) ymin = y0[i];
			if (y0[i] > ymax) ymax = y0[i];
		}
		let top = 0;
		let bottom = 0;
		for (let i = 0; i < n; i++) {
			if (y0[i] === ymin) top += w0[i];
			if (y0[i] === ymax) bottom += w0[i];
		}
		return top > bottom;
	}

	// ---- labels ------------------------------------------------------------------------

	// The label that fits width w: as many characters as fontsize * fontwidth allows,
	// ".." at the end when cut, nothing when fewer than three characters fit.
	function fitLabel(i, w) {
		const chars = Math.floor(w / charWidth);
		if (chars < 3) return "";
		const name = names[i];
		if (chars >= name.length) return name;
		let cut = chars - 2;
		const code = name.charCodeAt(cut - 1);
		if (code >= 0xd800 && code <= 0xdbff) cut--; // do not split a surrogate pair
		return name.slice(0, cut) + "..";
	}

	// Labels, their x and fill colours as in the SVG are read when first changed.
	function setLabel(i, s) {
		if (origLabel[i] === undefined) origLabel[i] = curLabel[i] = labels[i].textContent;
		if (curLabel[i] !== s) {
			setText(labels[i], s);
			curLabel[i] = s;
		}
	}

	function setLabelX(i, x) {
		if (origLabelX[i] === undefined) origLabelX[i] = labelX[i] = labels[i].getAttribute("x");
		if (labelX[i] !== x) {
			labels[i].setAttribute("x", x);
			labelX[i] = x;
		}
	}

	function setFill(i, m) {
		if (origFill[i] === undefined) origFill[i] = rects[i].getAttribute("fill");
		rects[i].setAttribute("fill", m ? cfg.searchcolor : origFill[i]);
	}

	function setClass(i, list, cls, on) {
		if (list[i] !== on) {
			const g = groups[i];
			g.classList.toggle(cls, on === 1);
			if (!on && !g.classList.length) g.removeAttribute("class");
			list[i] = on;
		}
	}

	// ---- zoom --------------------------------------------------------------------------
	//
	// Zooming does not move frames one by one. At load the frames are put, in tree
	// order, into blocks of CHUNK consecutive frames (#frames > g.fk-chunk), so that a
	// frame's subtree is a run of whole blocks plus two partial ones. To zoom:
	//   - the blocks holding the zoomed frame's subtree get one transform that
	//     stretches the x axis until the zoomed frame spans the width; #frames is
	//     clipped to the drawing's width, which hides the frames of those blocks that
	//     lie beside the zoomed frame (the frames of one level never overlap);
	//   - every other block is moved far out of sight, keeping its last stretch (a
	//     change of scale makes the browser lay out every frame under it again);
	//   - the ancestors are lifted out of their blocks into g.fk-ancestors and drawn
	//     faded across the width;
	//   - the labels that show are moved into g.fk-labels, which is not stretched, and
	//     refitted there; every other label in a stretched block is emptied.
	// What is written per frame is then only what shows (plus "hide" on the odd
	// neighbour overlapping the zoomed frame by a rounding error, and the corner
	// radius of wide frames): the work grows with what is on screen, not with the
	// size of the graph.

	const CHUNK = 128;
	const AWAY = 100000; // x offset of the blocks out of sight

	function makeChunks() {
		chunks = [];
		chunkT = [];
		chunkScale = [];
		for (let k = 0; k < n; k += CHUNK) {
			const c = document.createElementNS(SVG_NS, "g");
			c.setAttribute("class", "fk-chunk");
			const end = Math.min(n, k + CHUNK);
			for (let j = k; j < end; j++) c.appendChild(groups[order[j]]);
			framesEl.appendChild(c);
			chunks.push(c);
			chunkT.push("");
			chunkScale.push(1);
		}
		ancestorsEl = document.createElementNS(SVG_NS, "g");
		ancestorsEl.setAttribute("class", "fk-ancestors");
		framesEl.appendChild(ancestorsEl);
		labelsEl = document.createElementNS(SVG_NS, "g");
		labelsEl.setAttribute("class", "fk-labels");
		framesEl.appendChild(labelsEl);

		// (an id of its own, should a page hold several graphs)
		clipId = "fk-zoomclip";
		for (let k = 2; document.getElementById(clipId); k++) clipId = "fk-zoomclip-" + k;
		const cp = document.createElementNS(SVG_NS, "clipPath");
		cp.setAttribute("id", clipId);
		const r = document.createElementNS(SVG_NS, "rect");
		r.setAttribute("x", cfg.xpad);
		r.setAttribute("y", "0");
		r.setAttribute("width", fullWidth);
		r.setAttribute("height", svgHeight);
		cp.appendChild(r);
		svg.insertBefore(cp, framesEl);
		// always on (it clips nothing unzoomed): setting or removing it costs a full repaint
		framesEl.setAttribute("clip-path", "url(#" + clipId + ")");
	}

	function setChunk(c, t, scale) {
		if (chunkT[c] !== t) {
			if (t) chunks[c].setAttribute("transform", t);
			else chunks[c].removeAttribute("transform");
			chunkT[c] = t;
			chunkScale[c] = scale;
		}
	}

	function isWholeGraph(i) {
		return parent[i] < 0 && Math.abs(w0[i] - fullWidth) < 0.5;
	}

	// Frame i's label, refitted for a frame drawn from screen x `left`, `width` wide,
	// in g.fk-labels (or emptied where it is when nothing fits).
	function showLabel(i, left, width) {
		const s = fitLabel(i, width);
		if (s) {
			if (!overlaid.has(i)) {
				overlaid.add(i);
				labelsEl.appendChild(labels[i]);
			}
			setLabelX(i, (left + LABEL_PAD).toFixed(2));
			setLabel(i, s);
		} else {
			unshowLabel(i);
		}
	}

	// Frame i's label back in its frame, empty (its frame is stretched or out of sight).
	function unshowLabel(i) {
		if (overlaid.delete(i)) groups[i].appendChild(labels[i]);
		setLabel(i, "");
	}

	// Round corners of the radius in the SVG, whatever the stretch.
	function showCorners(i, scale) {
		if (rxScale[i] !== scale) {
			const r = rects[i];
			if (!rxOrig.has(i)) rxOrig.set(i, r.getAttribute("rx"));
			const rx = rxOrig.get(i);
			if (rx !== null) r.setAttribute("rx", parseFloat(rx) / scale);
			rxScale[i] = scale;
		}
	}

	function unscaleCorners(i) {
		if (rxOrig.has(i)) {
			const rx = rxOrig.get(i);
			if (rx === null) rects[i].removeAttribute("rx");
			else rects[i].setAttribute("rx", rx);
			rxOrig.delete(i);
			rxScale[i] = 1;
		}
	}

	// Ancestor a of the zoomed frame, into g.fk-ancestors, across the width.
	function lift(a) {
		setClass(a, hidden, "hide", 0);
		setClass(a, faded, "parent", 1);
		if (lifted.has(a)) return;
		lifted.add(a);
		if (overlaid.delete(a)) groups[a].appendChild(labels[a]);
		ancestorsEl.appendChild(groups[a]);
		rects[a].setAttribute("x", cfg.xpad);
		rects[a].setAttribute("width", fullWidth);
		unscaleCorners(a);
		setLabelX(a, (cfg.xpad + LABEL_PAD).toFixed(2));
		setLabel(a, fitLabel(a, fullWidth));
	}

	// Frame a back into its block, where it was, as in the SVG.
	function drop(a) {
		lifted.delete(a);
		setClass(a, faded, "parent", 0);
		const c = Math.floor(pos[a] / CHUNK);
		let next = null;
		for (let k = pos[a] + 1, end = Math.min(n, (c + 1) * CHUNK); k < end && !next; k++) {
			if (!lifted.has(order[k])) next = groups[order[k]];
		}
		chunks[c].insertBefore(groups[a], next);
		rects[a].setAttribute("x", origX[a]);
		rects[a].setAttribute("width", origW[a]);
		if (origLabelX[a] !== undefined) setLabelX(a, origLabelX[a]);
		if (origLabel[a] !== undefined) setLabel(a, origLabel[a]);
	}

	function unzoom() {
		lifted.forEach(drop);
		overlaid.forEach(unshowLabel);
		for (let c = 0; c < chunks.length; c++) setChunk(c, "", 1);
		for (let i = 0; i < n; i++) {
			setClass(i, hidden, "hide", 0);
			setClass(i, faded, "parent", 0);
			if (origLabelX[i] !== undefined) setLabelX(i, origLabelX[i]);
			if (origLabel[i] !== undefined) setLabel(i, origLabel[i]);
		}
		rxOrig.forEach((rx, i) => unscaleCorners(i));
	}

	function zoomInto(z) {
		const zx = x0[z];
		const zw = Math.max(w0[z], 1e-6);
		const scale = fullWidth / zw;
		const shift = cfg.xpad - zx * scale;
		const stretch = "matrix(" + scale + " 0 0 1 " + shift + " 0)";
		const lo = pos[z];
		const hi = last[z];
		const cLo = Math.floor(lo / CHUNK);
		const cHi = Math.floor(hi / CHUNK);

		const ancestor = new Uint8Array(n);
		for (let a = parent[z]; a >= 0; a = parent[a]) ancestor[a] = 1;
		lifted.forEach((a) => {
			if (!ancestor[a]) drop(a);
		});
		for (let a = parent[z]; a >= 0; a = parent[a]) lift(a);
		// labels shown for the last zoom whose frame is now out of sight
		overlaid.forEach((i) => {
			if (pos[i] < lo || pos[i] > hi) unshowLabel(i);
		});

		for (let c = 0; c < chunks.length; c++) {
			if (c >= cLo && c <= cHi) {
				setChunk(c, stretch, scale);
			} else {
				const sc = chunkScale[c];
				const away = sc === 1 ? "translate(" + AWAY + " 0)" : "matrix(" + sc + " 0 0 1 " + AWAY + " 0)";
				setChunk(c, away, sc);
			}
		}

		const corner = 4 / scale; // narrower than 4 px, rounding does not show anyway
		const end = Math.min(n, (cHi + 1) * CHUNK);
		for (let k = cLo * CHUNK; k < end; k++) {
			const i = order[k];
			if (k >= lo && k <= hi) {
				setClass(i, hidden, "hide", 0);
				setClass(i, faded, "parent", 0);
				showLabel(i, x0[i] * scale + shift, w0[i] * scale);
				if (w0[i] >= corner) showCorners(i, scale);
			} else if (!ancestor[i]) {
				// beside the zoomed frame, so clipped; unless it overlaps it by a
				// rounding error
				const over = Math.min(x0[i] + w0[i], zx + zw) - Math.max(x0[i], zx);
				setClass(i, hidden, "hide", over > 1e-6 ? 1 : 0);
				setClass(i, faded, "parent", 0);
				setLabel(i, ""); // stretched, it could reach into view
			}
		}
		// Frames in blocks moved away are out of sight whatever their state; it is
		// brought up to date when their block comes back.
	}

	function zoom(z) {
		if (z >= 0 && isWholeGraph(z)) z = -1;
		zoomed = z;
		if (z < 0) unzoom();
		else zoomInto(z);
		unzoomEl.classList.toggle("hide", z < 0);
		relEl.classList.toggle("hide", z < 0);
		updateMatched();
	}

	// ---- search ------------------------------------------------------------------------

	function compile(source, ic) {
		try {
			return new RegExp(source, ic ? "i" : "");
		} catch (e) {
			return null;
		}
	}

	// Highlights the frames whose name matches `source`; "" clears. Returns false (and
	// changes nothing) when the regex does not compile.
	function search(source) {
		const re = source ? compile(source, ignoreCase) : null;
		if (source && !re) return false;
		term = source;
		for (let i = 0; i < n; i++) {
			const m = re !== null && re.test(names[i]) ? 1 : 0;
			if (matched[i] !== m) {
				setFill(i, m);
				matched[i] = m;
			}
		}
		searchEl.classList.toggle("show", term !== "");
		setText(searchEl, term ? "Reset Search" : "Search");
		updateMatched();
		return true;
	}

	// Share of what is in view that matches: each matching frame counts with its whole
	// subtree, so matches nested in a match are not counted twice. Out of the total, or
	// out of the zoomed frame when "% of zoom" is on.
	function updateMatched() {
		if (!term) {
			setText(matchedEl, " ");
			return;
		}
		let sum = 0;
		let lo = 0;
		let hi = n - 1;
		let base = total;
		if (zoomed >= 0) {
			lo = pos[zoomed];
			hi = last[zoomed];
			if (relative) base = count[zoomed];
			for (let a = zoomed; a >= 0; a = parent[a]) {
				if (matched[a]) {
					sum = count[zoomed];
					lo = hi + 1; // the whole zoomed frame matches
					break;
				}
			}
		}
		for (let k = lo; k <= hi; k++) {
			const i = order[k];
			if (matched[i]) {
				sum += count[i];
				k = last[i];
			}
		}
		let pct = base > 0 ? (100 * sum) / base : 0;
		if (pct > 100) pct = 100;
		setText(matchedEl, "Matched: " + (pct === 100 ? "100" : pct.toFixed(1)) + "%");
	}

	function setIgnoreCase(on) {
		ignoreCase = on;
		icEl.classList.toggle("show", on);
		if (term && !search(term)) search("");
	}

	function setRelative(on) {
		relative = on;
		relEl.classList.toggle("show", on);
		updateMatched();
	}

	// The inline search box: a text input in a <foreignObject> left of "Search". Typing
	// searches as you go; Enter keeps the result, Escape goes back to the previous search.
	function openSearch() {
		if (!searchBox) makeSearchBox();
		if (!searchBox) {
			const s = window.prompt("Search frames by regular expression (e.g. ^ext4_)", term);
			if (s !== null && !search(s)) search("");
			saveState();
			return;
		}
		searchInput.value = term;
		searchInput.classList.remove("bad");
		termBefore = term;
		searchBox.classList.remove("hide");
		searchInput.focus();
		searchInput.select();
	}

	function closeSearch(keep) {
		if (!searchBox || searchBox.classList.contains("hide")) return;
		searchBox.classList.add("hide"); // first: the blur below comes back here
		if (!keep && term !== termBefore) search(termBefore);
		// give the focus back to the graph, for the keyboard shortcuts
		if (document.activeElement === searchInput) searchInput.blur();
		saveState();
	}

	function makeSearchBox() {
		if (typeof SVGForeignObjectElement === "undefined") return;
		const width = 16 * cfg.fontsize;
		const height = cfg.fontsize + 10;
		const fo = document.createElementNS(SVG_NS, "foreignObject");
		fo.setAttribute("id", "searchbox");
		fo.setAttribute("x", (num(searchEl, "x") - width - 6).toFixed(2));
		fo.setAttribute("y", (num(searchEl, "y") - cfg.fontsize - 4).toFixed(2));
		fo.setAttribute("width", width);
		fo.setAttribute("height", height);
		const input = document.createElementNS(XHTML_NS, "input");
		input.setAttribute("type", "text");
		input.setAttribute("spellcheck", "false");
		input.setAttribute("placeholder", "regex, e.g. ^ext4_");
		input.setAttribute("aria-label", "Search frames (regular expression)");
		input.style.fontSize = cfg.fontsize + "px";
		const live = () => input.classList.toggle("bad", !search(input.value));
		input.addEventListener("input", live);
		input.addEventListener("keydown", (e) => {
			const ctrl = e.ctrlKey || e.metaKey;
			e.stopPropagation(); // keys typed here are not shortcuts
			if (e.key === "Enter") {
				e.preventDefault();
				closeSearch(true);
			} else if (e.key === "Escape") {
				e.preventDefault();
				closeSearch(false);
			} else if (ctrl && (e.key === "i" || e.key === "I")) {
				e.preventDefault();
				setIgnoreCase(!ignoreCase);
				live();
			} else if (e.key === "F3" || (ctrl && (e.key === "f" || e.key === "F"))) {
				e.preventDefault(); // the box is open already
			}
		});
		input.addEventListener("blur", () => closeSearch(true));
		fo.appendChild(input);
		svg.appendChild(fo);
		searchBox = fo;
		searchInput = input;
	}

	// ---- details -----------------------------------------------------------------------

	function describe(i) {
		let s = titles[i];
		if (relative && zoomed >= 0 && !faded[i] && count[zoomed] > 0 && countTexts[i]) {
			const share = ((100 * count[i]) / count[zoomed]).toFixed(2) + "% of zoom";
			const rest = restTexts[i].replace("%", "% of total");
			s = names[i] + " (" + countTexts[i] + ", " + share + (rest ? ", " + rest : "") + ")";
		}
		return cfg.nametype + " " + s;
	}

	// ---- URL state ---------------------------------------------------------------------

	const KEYS = ["x", "y", "s", "i", "r"];

	// The view from the fragment, falling back to the query string (flamegraph.pl's links).
	function readState() {
		const h = new URLSearchParams(location.hash.replace(/^#/, ""));
		const q = new URLSearchParams(location.search);
		const get = (k) => (h.has(k) ? h.get(k) : q.get(k));
		return { x: get("x"), y: get("y"), s: get("s") || "", i: get("i") === "1", r: get("r") === "1" };
	}

	// The URL is updated shortly after the next frame is drawn: history.replaceState
	// takes milliseconds that the zoom or search on screen need not wait for.
	let savePending = false;

	function saveState() {
		if (savePending) return;
		savePending = true;
		requestAnimationFrame(() => setTimeout(writeState, 50));
		setTimeout(writeState, 1000); // in case no frame comes (a hidden tab)
	}

	function writeState() {
		if (!savePending) return;
		savePending = false;
		let url;
		try {
			url = new URL(location.href);
		} catch (e) {
			return;
		}
		const h = new URLSearchParams(url.hash.replace(/^#/, ""));
		for (const k of KEYS) {
			h.delete(k);
			url.searchParams.delete(k);
		}
		if (zoomed >= 0) {
			h.set("x", origX[zoomed]);
			h.set("y", rects[zoomed].getAttribute("y"));
		}
		if (term) h.set("s", term);
		if (ignoreCase) h.set("i", "1");
		if (relative) h.set("r", "1");
		url.hash = h.toString();
		if (url.search === "?") url.search = "";
		if (url.href === location.href) return;
		try {
			history.replaceState(history.state, "", url.href);
		} catch (e) {
			// not allowed here (e.g. a sandboxed frame): the view just is not linkable
		}
	}

	// The frame drawn at (x, y) in the unzoomed graph.
	function frameAt(xs, ys) {
		const x = parseFloat(xs);
		const y = parseFloat(ys);
		let best = -1;
		if (!isFinite(x) || !isFinite(y)) return best;
		for (let i = 0; i < n; i++) {
			if (Math.abs(y0[i] - y) < 0.01 && Math.abs(x0[i] - x) < 0.051 && (best < 0 || w0[i] > w0[best])) best = i;
		}
		return best;
	}

	function applyState() {
		const st = readState();
		ignoreCase = st.i;
		icEl.classList.toggle("show", ignoreCase);
		relative = st.r;
		relEl.classList.toggle("show", relative);
		zoom(st.x !== null && st.y !== null ? frameAt(st.x, st.y) : -1);
		if (!search(st.s)) search("");
	}

	// ---- events ------------------------------------------------------------------------

	function frameOf(node) {
		for (let el = node; el && el !== framesEl; el = el.parentNode) {
			const i = indexOf.get(el);
			if (i !== undefined) return i;
		}
		return -1;
	}

	function onClick(e) {
		const i = frameOf(e.target);
		if (i >= 0) {
			// Frames that are links (flamegraph.pl --nameattr) follow them; Ctrl-click zooms.
			if (groups[i].localName === "a" && !e.ctrlKey) return;
			e.preventDefault();
			zoom(i);
			saveState();
			return;
		}
		const id = e.target.id;
		if (id === "unzoom") {
			zoom(-1);
			saveState();
		} else if (id === "search") {
			if (term) {
				search("");
				saveState();
			} else {
				openSearch();
			}
		} else if (id === "ignorecase") {
			setIgnoreCase(!ignoreCase);
			saveState();
		} else if (id === "relative") {
			setRelative(!relative);
			saveState();
		}
	}

	function onOver(e) {
		const i = frameOf(e.target);
		if (i >= 0) setText(detailsEl, describe(i));
	}

	function onOut(e) {
		if (frameOf(e.target) >= 0) setText(detailsEl, " ");
	}

	function onKey(e) {
		const ctrl = e.ctrlKey || e.metaKey;
		if (e.key === "F3" || (ctrl && (e.key === "f" || e.key === "F"))) {
			e.preventDefault();
			openSearch();
		} else if (ctrl && (e.key === "i" || e.key === "I")) {
			e.preventDefault();
			setIgnoreCase(!ignoreCase);
			saveState();
		}
	}

	// "% of zoom": a toggle next to "Reset Zoom", shown while zoomed.
	function makeRelativeToggle() {
		const t = document.createElementNS(SVG_NS, "text");
		t.setAttribute("id", "relative");
		t.setAttribute("x", (num(unzoomEl, "x") + 11 * charWidth + cfg.fontsize).toFixed(2));
		t.setAttribute("y", unzoomEl.getAttribute("y"));
		t.setAttribute("class", "hide");
		t.textContent = "% of zoom";
		unzoomEl.parentNode.insertBefore(t, unzoomEl.nextSibling);
		return t;
	}

	function start() {
		if (started) return;
		started = true;
		svg = script && script.ownerSVGElement ? script.ownerSVGElement : document.documentElement;
		framesEl = byId("frames");
		detailsEl = byId("details");
		unzoomEl = byId("unzoom");
		searchEl = byId("search");
		icEl = byId("ignorecase");
		matchedEl = byId("matched");
		if (!framesEl || !detailsEl || !unzoomEl || !searchEl || !icEl || !matchedEl) return;
		relEl = makeRelativeToggle();
		readFrames();
		buildTree();
		makeChunks();
		svg.addEventListener("click", onClick);
		svg.addEventListener("mouseover", onOver);
		svg.addEventListener("mouseout", onOut);
		window.addEventListener("keydown", onKey);
		window.addEventListener("hashchange", applyState);
		applyState();
	}

	if (document.readyState === "loading") {
		document.addEventListener("DOMContentLoaded", start);
		window.addEventListener("load", start);
	} else {
		start();
	}
})();
