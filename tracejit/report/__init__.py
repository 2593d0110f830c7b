"""Compile reports: one self-contained HTML page per compilation (``Lowered.report(path)``,
or ``TRACEJIT_REPORT=dir`` for every compilation of a jitted call: ``env.py``).

``collect.py`` gathers the data from a lowered function, ``texts.py`` splits its text dumps
(LLVM IR and assembly per kernel, graph dumps into nodes and edges), ``svg.py`` draws a
graph, ``script.py`` holds the page's inline script and style, ``page.py`` assembles the page
(``render``, ``report``; not imported here: ``env.py`` is on every compilation's path).
"""
