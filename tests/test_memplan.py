"""Memory planning: temporaries share arena bytes when never live at once, a map writes
in place of a temporary it reads for the last time, and results stay those of eager."""
from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
from tests.conftest import assert_same
from tracejit.compiler.kir import Interval
from tracejit.compiler.schedule.memplan import live_ranges, plan_memory, verify_plan

RNG = np.random.default_rng(90)
X = RNG.standard_normal((64, 48)).astype(np.float32)
W = (RNG.standard_normal((48, 48)) / 7).astype(np.float32)


def chain(x, w):
    """h dies in the tanh map, whose result another matrix product reads: in place."""
    h = x @ w
    s = h.sum(axis=0)
    u = np.tanh(h) * 2
    return u @ w, s


def mlp3(x, w):
    """Three layers: the first hidden layer is dead once the second exists."""
    h1 = np.maximum(x @ w, 0)
    h2 = np.maximum(h1 @ w, 0)
    return h2 @ w


def program_of(fn, *args):
    return tj.jit(fn).lower(*args).optimized.program


def test_live_ranges_span_first_to_last_use():
    program = program_of(mlp3, X, W)
    live = live_ranges(program)
    hidden = [b.id for b in program.buffers if b.kind == "temp" and b.node >= 0]
    assert [live[b] for b in hidden] == [Interval(0, 1), Interval(1, 2)], program.text()


def mlp4(x, w):
    """Four layers: the first hidden layer is dead once the third exists (a small ``w`` is read in
    place by the products, so no packing block separates them)."""
    h1 = np.maximum(x @ w, 0)
    h2 = np.maximum(h1 @ w, 0)
    h3 = np.maximum(h2 @ w, 0)
    return h3 @ w


def test_buffers_never_live_together_share_bytes():
    program = program_of(mlp4, X, W)
    plan = program.plan
    verify_plan(program, plan)
    h1, h2, h3 = (b.id for b in program.buffers if b.kind == "temp" and b.node >= 0)
    mem = program.memory()
    assert mem["temporaries"] == plan.arena_bytes < mem["temporaries_unshared"], program.text()
    assert mem["peak"] == mem["inputs"] + mem["outputs"] + plan.arena_bytes
    # h1 and h3 never coexist: they may share bytes; h2 overlaps both
    assert plan.offsets[h2] not in (plan.offsets[h1], plan.offsets[h3])
    assert_same(tj.jit(mlp4)(X, W), mlp4(X, W), rtol=1e-4, atol=1e-4)


def test_map_writes_in_place_of_a_dead_temporary():
    program = program_of(chain, X, W)
    plan = program.plan
    verify_plan(program, plan)
    assert len(plan.in_place) == 1, program.text()
    (new, old), = plan.in_place.items()
    assert plan.offsets[new] == plan.offsets[old] and plan.live[old].last == plan.live[new].first
    assert "in place of" in program.text()
    assert_same(tj.jit(chain)(X, W), chain(X, W), rtol=1e-5, atol=1e-5)


def test_in_place_kernel_drops_noalias_on_the_shared_pair():
    import re
    low = tj.jit(chain).lower(X, W)
    program = low.optimized.program
    (new, old), = program.plan.in_place.items()
    kernel = next(k for k in program.kernels if new in k.buffers() and old in k.buffers())
    ln, lo = kernel.buffers().index(new), kernel.buffers().index(old)  # its arguments, by position
    defines = [line for line in low.as_text("llvm").splitlines() if line.startswith("define")]
    (mine,) = [d for d in defines if re.search(rf"_{kernel.name}\"?\(", d)]
    assert f'%"b{ln}"' in mine and f'%"b{lo}"' in mine
    assert f'noalias %"b{ln}"' not in mine and f'noalias %"b{lo}"' not in mine, mine
    others = [d for d in defines if d is not mine and '%"b' in d]
    assert others and all("ptr %" not in d.split("ptr %\"sizes\"")[0] for d in others), others  # still noalias


def test_no_in_place_when_the_map_reads_other_elements():
    def shifted(x, w):
        h = x @ w
        s = h.sum(axis=0)
        u = np.tanh(h[::-1]) * 2  # reads row 63 - i while writing row i
        return u @ w, s

    program = program_of(shifted, X, W)
    assert not program.plan.in_place, program.text()
    verify_plan(program, program.plan)
    assert_same(tj.jit(shifted)(X, W), shifted(X, W), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("threads", [1, 3])
def test_planned_programs_match_eager_under_threads(threads, monkeypatch):
    monkeypatch.setattr(tj.config, "num_threads", threads)
    x = RNG.standard_normal((300, 200)).astype(np.float32)
    w = (RNG.standard_normal((200, 200)) / 14).astype(np.float32)
    for fn in (chain, mlp3):
        program = program_of(fn, x, w)
        verify_plan(program, program.plan)
        assert_same(tj.jit(fn)(x, w), fn(x, w), rtol=1e-4, atol=1e-4)


def test_plan_of_a_program_without_temporaries_is_empty():
    program = program_of(lambda x: np.exp(x) + 1, X)
    plan = plan_memory(program)
    assert plan.arena_bytes == 0 and not plan.offsets
    assert plan.text(program.buffers) == "memory plan: no temporaries"


def test_reduction_over_no_axes_is_not_written_in_place():
    """``sum(axis=())`` of a dead temporary is a reduction that zeroes its output first:
    writing it over its input would read those zeros (regression)."""
    def f(x, w):
        h = x @ w
        s = h.sum(axis=0)
        return ((h * h).sum(axis=()) @ w), s

    program = program_of(f, X, W)
    assert not program.plan.in_place, program.text()
    assert_same(tj.jit(f)(X, W), f(X, W), rtol=1e-4, atol=1e-4)
