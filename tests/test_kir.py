"""The kernel IR's walker (``kir/walk.py``) and verifier (``kir/verify.py``) on small
hand-built DAGs and on compiled programs."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import tracejit as tj
from tracejit.compiler.kir import (
    NO_BUFFER,
    Access,
    Apply,
    Const,
    Convert,
    Gather,
    Iota,
    Load,
    Nest,
    map_accesses,
    nodes,
    rebuild,
    rewrite,
)
from tracejit.compiler.kir.verify import verify_program

F8, I8 = np.dtype(np.float64), np.dtype(np.int64)


def _dag():
    """``x + x * 2`` where ``x = f8(gather(in0, [in1]))``: ``x`` is shared."""
    index = Load(Access(1, I8, 0, (1,)))
    x = Convert(Gather(Access(0, F8, 3, (0,)), (index,), (1,), (10,)), F8)
    return Apply("add", (x, Apply("multiply", (x, Const(2.0, F8)), F8, F8)), F8, F8), x, index


def test_nodes_visits_each_node_once_and_prunes():
    root, x, index = _dag()
    seen = list(nodes([root]))
    assert len(seen) == len({id(e) for e in seen}) == 6
    assert index in seen
    assert index not in list(nodes([root], prune=lambda e: isinstance(e, Gather)))


def test_rewrite_keeps_sharing_and_rebuild_copies():
    root, x, _ = _dag()
    out = rewrite(root, rebuild, {})
    assert out is not root and out.args[0] is out.args[1].args[0]  # x stays one node
    assert out.args[1].args[1] is root.args[1].args[1]  # a leaf without changes is kept


def test_map_accesses_fixes_loads_iotas_and_gather_extents():
    root, _, _ = _dag()
    order = []

    def fix(a: Access) -> Access:
        order.append(a.buffer)
        return dataclasses.replace(a, offset=a.offset + 100)

    out = map_accesses(Apply("add", (root, Iota(Access(NO_BUFFER, F8, 0, (1,)), 0.0, 1.0, F8)), F8, F8),
                       fix, {}, size=lambda n: n + 1)
    loads = Nest((4,), 0, None, out, Access(2, F8, 0, (1,))).indexed()
    assert sorted(ld.access.offset for ld in loads) == [100, 100, 103]
    gather = next(e for e in nodes([out]) if isinstance(e, Gather))
    assert gather.extents == (11,)
    assert order == [0, 1, NO_BUFFER]  # a node's access before its children's, operands in order


def test_verify_program_accepts_compiled_programs_and_rejects_broken_ones():
    low = tj.jit(lambda a, i: np.tanh(a[i]).sum(axis=0) + a[0]).lower(np.ones((8, 3)), np.arange(4))
    graph, program = low.optimized.graph, low.optimized.program
    verify_program(program, graph)
    kernel = next(k for k in program.kernels if k.nests)
    nest = kernel.nests[0]
    kernel.nests[0] = dataclasses.replace(nest, store=dataclasses.replace(nest.store, buffer=99))
    with pytest.raises(AssertionError, match="unknown buffer"):
        verify_program(program)
    longer = dataclasses.replace(nest.store, strides=nest.store.strides + (1,))
    kernel.nests[0] = dataclasses.replace(nest, store=longer)
    with pytest.raises(AssertionError, match="strides over"):
        verify_program(program)
