"""The compile report's inline JavaScript (SCRIPT) and CSS (STYLE, the whole page's): no network,
no URL.

The page markup they serve (written by the report's page assembly): each kernel a
``<section class="kernel" id="kernel-K" data-kernel="K">`` with links
``<a class="kernel-link" data-kernel="K" href="#kernel-K">``, the traced graph (``svg.render_graph``,
an ``svg.tj-graph``) inside ``<section id="graph">``, source lines ``id="src-LINE"``.

What SCRIPT does:
- a click on a kernel link toggles class ``highlight`` on that kernel's graph nodes (those whose
  ``data-kernel`` is K or whose ``data-kernels`` lists K) and on the edges inside it, centres a
  graph on the kernel's first node when none is in view, and dims the rest of every graph (class
  ``dim`` on the svg; the highlighted elements move to front groups and the rest fade as two
  groups); the kernel's sections and links get class ``active``; Escape or a click on the graph's
  background clears it; a link inside ``#graph`` (its legend) does not follow its href, the page
  stays on the graph;
- a click on a node of a kernel highlights that kernel and scrolls to its section (after 300 ms,
  unless a second click makes it a double click); a click on a node outside kernels follows its
  link to the source line, and so does a double click on any node;
- the wheel zooms the graph about the pointer and a drag pans it (the svg's viewBox changes);
  a drag does not count as a click;
- the first view shows the whole graph when it fits at 0.3 scale or more, else the top of the
  graph at the scale that fits its width, between 0.3 and 1 (a 5,000-node chain stays legible);
- a toolbar above each graph: a filter box (nodes whose label or tooltip contains the text are
  marked ``match``, the others dimmed, after a 200 ms pause in the typing on graphs of over 1,000
  nodes; Enter centres the view on the next match), "whole graph" and "first view";
- each kernel's links and sections carry its colour as the CSS variable ``--kc``.
"""
from __future__ import annotations

STYLE = """
body { font-family: sans-serif; margin: 1em 2em; color: #222; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 12px; }
table { border-collapse: collapse; }
td, th { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: left; }
.bar { display: inline-block; height: 10px; background: #4a90d9; }
.src-line:target, [id^="src"]:target { background: #ffef9f; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.3em 1.2em; }
details.pass > summary, details > summary { cursor: pointer; }
svg.tj-graph { display: block; width: 100%; height: 70vh; border: 1px solid #ccc; background: #fff;
  cursor: grab; touch-action: none; user-select: none; }
svg.tj-graph.panning { cursor: grabbing; }
svg.tj-graph g.node { cursor: pointer; }
svg.tj-graph g.node text { pointer-events: none; }
svg.tj-graph g.node.highlight rect { stroke: #000; stroke-width: 2.5px; }
svg.tj-graph path.edge.highlight { stroke: #333; stroke-width: 2px; }
svg.tj-graph g.node.match rect { stroke: #d00; stroke-width: 2.5px; }
.tj-toolbar { display: flex; gap: 0.6em; align-items: center; margin: 0.4em 0; font: 13px sans-serif; }
.tj-toolbar input { width: 16em; }
.tj-toolbar .tj-hint { color: #666; }
.kernel-link { border-left: 0.6em solid var(--kc, transparent); padding-left: 0.3em; }
.kernel-link.active { font-weight: bold; background: #ffeb99; }
section.kernel { border-left: 0.4em solid var(--kc, #ccc); padding-left: 0.6em; }
section.kernel.active { background: #fffbe6; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var nodesByKernel = Object.create(null);
  var edgesByKernel = Object.create(null);
  var current = null;
  var suppressClick = false;
  var pendingScroll = null;

  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function group(map, key, item) { (map[key] || (map[key] = [])).push(item); }
  function byKernel(selector, k) {
    return all(selector).filter(function (e) { return e.getAttribute("data-kernel") === k; });
  }
  function kernelsOf(e) {  // data-kernels lists every kernel of a node computed in several
    var many = e.getAttribute("data-kernels");
    return many ? many.split(" ") : [e.getAttribute("data-kernel")];
  }
  function drawnParts(k) { return (nodesByKernel[k] || []).concat(edgesByKernel[k] || []); }
  function pageParts(k) { return byKernel(".kernel-link, section.kernel", k); }

  // Highlighted and matching nodes (and a highlighted kernel's edges) move to front groups drawn
  // last, and the groups left behind fade as a whole: one opacity on two groups instead of a
  // style change on every element, which took 0.2-0.4 s on a 5,000-node graph.
  function addLayers(svg) {
    var back = {edges: svg.querySelector("g.edges"), nodes: svg.querySelector("g.nodes")};
    if (!back.edges || !back.nodes) { return; }
    var front = {};
    ["edges", "nodes"].forEach(function (kind) {
      var g = document.createElementNS(svg.namespaceURI, "g");
      Array.prototype.forEach.call(back[kind].attributes, function (a) { g.setAttribute(a.name, a.value); });
      g.setAttribute("class", "front-" + kind);
      svg.appendChild(g);
      front[kind] = g;
    });
    svg.tjLayers = {back: back, front: front};
  }

  function mark(el, cls, on) {
    if (el.classList.contains(cls) === on) { return; }
    el.classList.toggle(cls, on);
    var svg = el.ownerSVGElement, layers = svg && svg.tjLayers;
    if (!layers) { return; }
    var kind = el.classList.contains("node") ? "nodes" : "edges";
    var front = el.classList.contains("highlight") || el.classList.contains("match");
    (front ? layers.front : layers.back)[kind].appendChild(el);
  }

  function fade(svg) {
    var layers = svg.tjLayers;
    if (!layers) { return; }
    var on = layers.front.nodes.firstChild !== null || layers.front.edges.firstChild !== null;
    layers.back.nodes.style.opacity = on ? "0.25" : "";
    layers.back.edges.style.opacity = on ? "0.15" : "";
  }

  function setHighlight(k) {
    if (current !== null) {
      drawnParts(current).forEach(function (e) { mark(e, "highlight", false); });
      pageParts(current).forEach(function (e) { e.classList.remove("active"); });
    }
    current = k;
    if (k !== null) {
      drawnParts(k).forEach(function (e) { mark(e, "highlight", true); });
      pageParts(k).forEach(function (e) { e.classList.add("active"); });
    }
    all("svg.tj-graph").forEach(function (svg) { svg.classList.toggle("dim", k !== null); fade(svg); });
  }

  function scrollToId(id) {
    var target = document.getElementById(id);
    if (target) { target.scrollIntoView({block: "start"}); }
  }

  function sourceOf(node) {
    var a = node.querySelector("a");
    var href = a ? a.getAttribute("href") : null;
    return href && href.charAt(0) === "#" ? href.slice(1) : null;
  }

  function onClick(ev) {
    if (suppressClick) { suppressClick = false; ev.preventDefault(); ev.stopPropagation(); return; }
    var target = ev.target instanceof Element ? ev.target : null;
    if (!target) { return; }
    var link = target.closest(".kernel-link");
    if (link) {
      var k = link.getAttribute("data-kernel");
      if (link.closest("#graph")) { ev.preventDefault(); }  // the graph's own legend: stay with the graph
      setHighlight(current === k ? null : k);
      if (current !== null) { all("svg.tj-graph").forEach(function (svg) { reveal(svg, current); }); }
      return;
    }
    var node = target.closest("svg.tj-graph g.node");
    if (node) {
      var kernel = node.getAttribute("data-kernel");
      if (kernel) {
        ev.preventDefault();
        setHighlight(kernel);
        clearTimeout(pendingScroll);
        if (ev.detail < 2) {  // the first click of a double click: scroll only if no second one comes
          pendingScroll = setTimeout(function () { scrollToId("kernel-" + kernel); }, 300);
        }
      }
      return;
    }
    if (target.closest("svg.tj-graph") && current !== null) { setHighlight(null); }
  }

  function onDoubleClick(ev) {
    var node = ev.target instanceof Element ? ev.target.closest("svg.tj-graph g.node") : null;
    var id = node ? sourceOf(node) : null;
    if (id) { ev.preventDefault(); clearTimeout(pendingScroll); location.hash = id; scrollToId(id); }
  }

  function toSvg(svg, clientX, clientY) {
    var ctm = svg.getScreenCTM();
    if (!ctm) { return null; }
    return new DOMPoint(clientX, clientY).matrixTransform(ctm.inverse());
  }

  function enableZoomPan(svg) {
    var box = svg.viewBox.baseVal;
    if (!box) { return; }
    var full = {x: box.x, y: box.y, width: box.width, height: box.height};
    var natural = parseFloat(svg.getAttribute("height"));  // a small graph is not drawn larger than life
    if (natural > 0) { svg.style.height = Math.round(Math.min(natural + 2, window.innerHeight * 0.7)) + "px"; }
    function set(x, y, width, height) { box.x = x; box.y = y; box.width = width; box.height = height; }
    function fit() { set(full.x, full.y, full.width, full.height); }
    // The first view: the whole graph if it shows at 0.3 scale or more; else (a long program) its
    // top at the scale that fits its width, between 0.3 and 1, so that boxes stay visible.
    function first() {
      var w = svg.clientWidth, h = svg.clientHeight;
      if (!w || !h) { return false; }  // not laid out (a closed <details>): when it opens
      if (Math.min(w / full.width, h / full.height) >= 0.3) { fit(); return true; }
      var scale = Math.min(1, Math.max(0.3, w / full.width));
      set(full.x + (full.width - w / scale) / 2, full.y, w / scale, h / scale);
      return true;
    }
    if (!first()) {
      var folded = svg.closest("details");
      if (folded) {
        folded.addEventListener("toggle", function once() {
          if (folded.open && first()) { folded.removeEventListener("toggle", once); }
        });
      }
    }
    var drag = null;
    svg.addEventListener("wheel", function (ev) {
      var p = toSvg(svg, ev.clientX, ev.clientY);
      if (!p) { return; }
      ev.preventDefault();
      var delta = ev.deltaY * (ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1);
      var f = Math.exp(Math.max(-1, Math.min(1, delta * 0.002)));
      var widest = 2 * Math.max(full.width, full.height * box.width / box.height);  // the whole graph, twice
      var w = Math.max(40, Math.min(widest, box.width * f));
      f = w / box.width;
      box.x = p.x - (p.x - box.x) * f;
      box.y = p.y - (p.y - box.y) * f;
      box.width = w;
      box.height = box.height * f;
    }, {passive: false});
    svg.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) { return; }
      var ctm = svg.getScreenCTM();
      if (!ctm) { return; }
      drag = {x: ev.clientX, y: ev.clientY, bx: box.x, by: box.y, scale: 1 / ctm.a, moved: false, id: ev.pointerId};
    });
    svg.addEventListener("pointermove", function (ev) {
      if (!drag) { return; }
      var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) { return; }
      if (!drag.moved) { drag.moved = true; svg.classList.add("panning"); svg.setPointerCapture(drag.id); }
      box.x = drag.bx - dx * drag.scale;
      box.y = drag.by - dy * drag.scale;
    });
    function end() {
      if (drag && drag.moved) {
        suppressClick = true;
        setTimeout(function () { suppressClick = false; }, 0);
        svg.classList.remove("panning");
      }
      drag = null;
    }
    svg.addEventListener("pointerup", end);
    svg.addEventListener("pointercancel", end);
    return {fit: fit, first: first};
  }

  function where(node) {
    var m = /translate\(([-\d.]+)[ ,]+([-\d.]+)\)/.exec(node.getAttribute("transform") || "");
    return m ? {x: parseFloat(m[1]), y: parseFloat(m[2])} : null;
  }

  // After a kernel link's click: if none of the kernel's nodes is in view, centre on its first.
  function reveal(svg, k) {
    var box = svg.viewBox.baseVal, nodes = (nodesByKernel[k] || []).filter(function (g) { return svg.contains(g); });
    if (!box || !nodes.length || !svg.clientWidth) { return; }
    var seen = nodes.some(function (g) {
      var p = where(g);
      return p && p.x >= box.x && p.x <= box.x + box.width && p.y >= box.y && p.y <= box.y + box.height;
    });
    if (!seen) { centreOn(svg, nodes[0]); }
  }

  function centreOn(svg, node) {
    var box = svg.viewBox.baseVal, p = where(node);
    if (!box || !p) { return; }
    box.x = p.x - box.width / 2;
    box.y = p.y - box.height / 2;
  }

  function addToolbar(svg, views) {
    var bar = document.createElement("div");
    bar.className = "tj-toolbar";
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "filter nodes (op, shape, line)";
    input.setAttribute("aria-label", "filter graph nodes");
    function button(text, title, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.title = title;
      b.addEventListener("click", function () { if (views) { action(); } });
      return b;
    }
    var whole = button("whole graph", "fit the whole graph in view", function () { views.fit(); });
    var reset = button("first view", "back to the first view", function () { views.first(); });
    var count = document.createElement("span");
    var hint = document.createElement("span");
    hint.className = "tj-hint";
    hint.textContent = ["wheel: zoom", "drag: pan", "click a node: its kernel",
                        "double click: its source line"].join(" \u00b7 ");
    [input, whole, reset, count, hint].forEach(function (e) { bar.appendChild(e); });
    svg.parentNode.insertBefore(bar, svg);
    var nodes = all("g.node", svg).map(function (g) {
      var t = g.querySelector("title"), l = g.querySelector("text");
      return {g: g, text: ((l ? l.textContent : "") + "\n" + (t ? t.textContent : "")).toLowerCase()};
    });
    var matches = [], next = 0;
    var pending = null;
    function filter() {
      pending = null;
      var q = input.value.trim().toLowerCase();
      matches = [];
      next = 0;
      nodes.forEach(function (n) {
        var hit = q !== "" && n.text.indexOf(q) >= 0;
        mark(n.g, "match", hit);
        if (hit) { matches.push(n.g); }
      });
      svg.classList.toggle("searching", q !== "");
      fade(svg);
      count.textContent = q === "" ? "" : matches.length + " match" + (matches.length === 1 ? "" : "es");
    }
    input.addEventListener("input", function () {  // a big graph waits for a pause in the typing
      clearTimeout(pending);
      if (nodes.length > 1000) { pending = setTimeout(filter, 200); } else { filter(); }
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key !== "Enter") { return; }
      if (pending !== null) { clearTimeout(pending); filter(); }
      if (matches.length) { centreOn(svg, matches[next % matches.length]); next += 1; }
    });
  }

  function init() {
    all("svg.tj-graph g.node").forEach(function (g) {
      kernelsOf(g).forEach(function (k) { if (k) { group(nodesByKernel, k, g); } });
    });
    all("svg.tj-graph path.edge[data-kernel]").forEach(function (e) {
      kernelsOf(e).forEach(function (k) { group(edgesByKernel, k, e); });
    });
    Object.keys(nodesByKernel).forEach(function (k) {
      var own = nodesByKernel[k].filter(function (g) { return g.getAttribute("data-kernel") === k; })[0];
      var shape = own && own.querySelector("rect");
      var colour = shape ? shape.getAttribute("fill") : null;
      if (colour) { pageParts(k).forEach(function (e) { e.style.setProperty("--kc", colour); }); }
    });
    all("svg.tj-graph").forEach(function (svg) { addLayers(svg); addToolbar(svg, enableZoomPan(svg)); });
    document.addEventListener("click", onClick, true);
    document.addEventListener("dblclick", onDoubleClick);
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && current !== null) { setHighlight(null); }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
"""
