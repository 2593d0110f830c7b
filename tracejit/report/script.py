"""The compile report page's inline script and style (a minimal stand-in: report-svg's
version replaces it). ``SCRIPT``: clicking a kernel's link highlights its graph nodes;
``STYLE``: the page's CSS."""
from __future__ import annotations

SCRIPT = """
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.kernel-link") : null;
  if (!link) { return; }
  var kernel = link.getAttribute("data-kernel");
  document.querySelectorAll("g.node.highlight").forEach(function (g) { g.classList.remove("highlight"); });
  document.querySelectorAll('g.node[data-kernel="' + kernel + '"]').forEach(function (g) {
    g.classList.add("highlight");
  });
});
"""

STYLE = """
body { font-family: sans-serif; margin: 1em 2em; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 12px; }
svg.graph { border: 1px solid #ccc; font: 10px monospace; }
svg.graph line.edge { stroke: #999; }
svg.graph rect { stroke: #555; }
g.node.highlight rect { stroke: #d00; stroke-width: 3px; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: left; }
.bar { display: inline-block; height: 10px; background: #4a90d9; }
.src-line:target { background: #ffef9f; }
"""
