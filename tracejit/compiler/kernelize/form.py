"""Kernel formation: the fused graph (nodes marked ``materialize``) -> a :class:`Program`
of kernels and buffers, one kernel per materialized node that is not a source.

Buffers are assigned first (``buffers.py``); each kernel is then built by
:class:`KernelBuilder` (``builder.py``), or by ``scan_sort.py`` for a scan or sort and
``control.py`` for a loop or branch. When the builder finds that a reshape needs a copy
or a value needs a buffer, formation changes the graph (the optimized graph shows the
``copy``) and starts again.
"""
from __future__ import annotations

from tracejit.compiler.graph import Graph
from tracejit.compiler.kernelize.buffers import assign_buffers, stores_nothing
from tracejit.compiler.kernelize.builder import KernelBuilder, NeedsBuffer, NeedsCopy
from tracejit.compiler.kernelize.control import CompileSub, control_kernel
from tracejit.compiler.kernelize.scan_sort import scan_sort_kernel
from tracejit.compiler.kir import Kernel, Program
from tracejit.compiler.ops import get_op


def form_kernels(graph: Graph, compile_sub: CompileSub) -> Program:
    """Build the program; may insert copies into ``graph`` where a reshape needs one.
    ``compile_sub`` optimizes the sub-graphs of loops and branches (the pipeline itself:
    a deliberate recursion, handed down rather than imported)."""
    while True:
        try:
            return _form(graph, compile_sub)
        except NeedsBuffer as e:
            for node in e.nodes:
                graph.data(node)["materialize"] = True
        except NeedsCopy as e:
            (src,) = graph.operands(e.node)
            copy = graph.add("copy", [src], loc=graph.loc(e.node))
            graph.nx.remove_edge(src, e.node, key=0)
            graph.nx.add_edge(copy, e.node, key=0)
            graph.data(copy)["materialize"] = True


def _form(graph: Graph, compile_sub: CompileSub) -> Program:
    controls: dict = {}
    buffers = assign_buffers(graph, compile_sub, controls)
    kernels = []
    for nid in graph.topo_order():
        if nid in controls:
            kernels.append(control_kernel(f"k{len(kernels)}", graph, nid, controls[nid]))
            continue
        if graph.op(nid) == "loop_out":
            continue
        if nid not in buffers or graph.op(nid) in ("input", "constant"):
            continue  # (an update stored into a loop's carried input is a kernel)
        if graph.op(nid) == "copy" and buffers.get(graph.operands(nid)[0]) is buffers[nid]:
            continue  # a donated input returned as it is: the value is in place already
        if stores_nothing(graph, nid, buffers):
            continue  # the write-back of a scatter into its own buffer (through a reshape)
        builder = KernelBuilder(graph, buffers, nid)
        if get_op(graph.op(nid)).kind == "along_axis":  # a library kernel (scan, sort)
            kernels.extend(scan_sort_kernel(builder, f"k{len(kernels)}"))
            continue
        kind, nests = builder.nests()
        nodes = sorted(builder.nodes)
        if kind == "update" and len(nests) >= 2:  # the copies run (in parallel) on their own
            kernels.append(Kernel(f"k{len(kernels)}", "map", nodes, nests[:-1]))
            nests = nests[-1:]
        if nests:
            kernels.append(Kernel(f"k{len(kernels)}", kind, nodes, nests))
    outputs = [-1] * len(graph.outputs)
    for out in graph.outputs:
        src = graph.operands(out)[0]
        outputs[graph.attrs(out)["index"]] = buffers[src].id
    unique = {b.id: b for b in buffers.values()}  # updates in place share their base's
    return Program(graph.name, [unique[i] for i in sorted(unique)], kernels, len(graph.inputs), outputs)
