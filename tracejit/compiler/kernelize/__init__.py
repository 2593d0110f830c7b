"""Kernel formation: the fused graph -> a :class:`~tracejit.compiler.kir.Program` of
kernels and buffers (``form.py``: :func:`~tracejit.compiler.kernelize.form.form_kernels`).

``buffers.py`` decides which nodes get a buffer, ``builder.py`` builds each kernel's
expressions and loop nests, ``sequences.py`` turns arithmetic-sequence constants into
index arithmetic, ``scan_sort.py`` builds the kernels of scans and sorts and
``control.py`` those of loops and branches (whose sub-graphs the pipeline optimizes
through a function handed down). The kernel passes (``compiler/schedule/``) run next.
"""
