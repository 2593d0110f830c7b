"""More control-flow blocks for ``cfgen.py`` (issue 16): constructs users write that the first
templates lacked -- ``elif`` chains, ``while True`` ended by ``break``, nested loops over
``enumerate``/``zip``, a ``while`` inside a ``for``, augmented assignments to slices inside
branches and loops, and early returns from nested loops (``returns_early``); and (session 11)
``isinstance`` tests of traced values, ``try``/``except`` around errors raised depending on the
data (``np.linalg.inv``, an index read from data), 0-d accumulators that become NumPy scalars
after a step, and a helper function defined inside ``f`` and called in a loop.

Each block keeps the types of what it defines independent of the data (accumulators start
as ``np.float64``), so that a difference is a bug and not autograph's documented promotion.
"""
from __future__ import annotations

THRESHOLDS = ["0.37", "-1.3", "2.6", "0.0", "4.7", "-0.45"]


class MoreBlocks:
    """Blocks mixed into ``cfgen._Gen`` (which provides pick, chance, fresh, cond, scalar,
    vector, bound and define_scalar/define_vector)."""

    def more_blocks(self) -> list:
        """The block makers of this module."""
        return [self.b_elif_chain, self.b_while_true, self.b_nested_enumerate, self.b_while_in_for,
                self.b_slice_update, self.b_slice_update_loop, self.b_isinstance, self.b_try, self.b_zero_d,
                self.b_helper]

    def b_isinstance(self) -> list[str]:
        v = self.fresh("v")
        self.define_vector(v)
        test = self.pick(["isinstance(x, np.ndarray)", "isinstance(x[0], np.floating)", "isinstance(n, int)",
                          "isinstance(y.sum(), float)", "isinstance(x[0], (float, np.ndarray))"])
        return [f"if {test}:", f"    {v} = {self.vector()}", "else:", f"    {v} = y * 0.0"]

    def b_try(self) -> list[str]:
        v = self.fresh("v")
        self.define_vector(v)
        k = self.pick(["int((x > 0).sum())", "int(np.argmax(y)) + 2", "n"])
        body, handler = self.pick([
            ([f"    {v} = np.linalg.inv(np.outer(x, y) + {self.pick(['0.0', '1e-3', '1.0'])} * np.eye(n)) @ y"],
             "np.linalg.LinAlgError"),
            ([f"    {v} = y * x[{k}]"], "IndexError"),
            ([f"    {v} = y * x[{k}]"], "Exception"),
            ([f"    {v} = y + 1.0"], "ValueError"),
        ])
        return [f"{v} = y.copy()", "try:", *body, f"except {handler}:", f"    {v} = x * 0.5"]

    def b_zero_d(self) -> list[str]:
        s, i = self.fresh("s"), self.fresh("i")
        self.define_scalar(s)
        return [f"{s} = {self.pick(['np.zeros(())', 'np.ones(())', 'np.array(0.5)'])}",
                f"for {i} in range({self.pick(['n', 'min(n, 3)', '2'])}):",
                f"    {s} = {s} * {self.pick(['0.5', '1.0', '-1.0'])} + {self.pick(['x', 'y'])}[{i}]"]

    def b_helper(self) -> list[str]:
        h, v, i, w = self.fresh("h"), self.fresh("v"), self.fresh("i"), self.fresh("w")
        self.define_vector(v)
        body = self.pick([f"return np.maximum({w}, 0.0) * 2.0", f"return {w} if {w}.sum() > 0 else -{w}",
                          f"return np.tanh({w}) + {w}.mean()"])
        return [f"def {h}({w}):", f"    {body}", f"{v} = np.zeros(n)",
                f"for {i} in range({self.pick(['2', '3'])}):", f"    {v} = {v} + {h}(y * {i} + x)"]

    def b_elif_chain(self) -> list[str]:
        s = self.fresh("s")
        lines = [f"{s} = np.float64(0.0)", f"if {self.cond()}:", f"    {s} = {self.scalar(False)} * 2.0"]
        for _ in range(int(self.rng.integers(1, 4))):
            lines += [f"elif {self.cond()}:", f"    {s} = {self.scalar(False)} - {self.pick(THRESHOLDS)}"]
        if self.chance(0.6):
            lines += ["else:", f"    {s} = {s} + 1.0"]
        self.define_scalar(s)
        return lines

    def b_while_true(self) -> list[str]:
        s, k = self.fresh("s"), self.fresh("k")
        self.define_scalar(s)
        limit = int(self.rng.integers(1, 9))
        stop = self.pick([f"{s} > {self.pick(['8.0', '30.0'])}", f"{k} >= {limit}", f"{k} >= n"])
        return [f"{s} = np.float64({self.scalar(False)})", f"{k} = 0", "while True:",
                f"    {s} = {s} * 1.5 + {self.pick(['1.0', 'y.mean()', f'float({k})'])}", f"    {k} += 1",
                f"    if {stop} or {k} >= {limit + 3}:", "        break"]

    def b_nested_enumerate(self) -> list[str]:
        s, i, j, a, b, v = (self.fresh(p) for p in ("s", "i", "j", "a", "b", "v"))
        self.define_scalar(s)
        outer = self.pick([f"for {i}, ({a}, {b}) in enumerate(zip(x, y)):", f"for {i}, {a} in enumerate(y):"])
        b_expr = b if "zip" in outer else "1.0"
        inner = self.pick([f"for {j}, {v} in enumerate(A[{i}]):", f"for {j}, {v} in zip(range(n), q):"])
        body = [f"        if {v} > {self.pick(THRESHOLDS)}:", f"            {s} = {s} + {a} * {v} - {b_expr}"]
        if self.chance(0.3):
            body = [f"        if {j} > {i}:", "            break"] + body
        if self.chance(0.3):
            body += [f"        elif {v} < {self.pick(THRESHOLDS)}:", "            continue",
                     f"        {s} = {s} * 0.5"]
        return [f"{s} = np.float64(0.0)", outer, "    " + inner, *body]

    def b_while_in_for(self) -> list[str]:
        out, i, t, k = self.fresh("v"), self.fresh("i"), self.fresh("t"), self.fresh("k")
        self.define_vector(out)
        return [f"{out} = np.zeros(n)", f"for {i} in range({self.bound()}):", f"    {t} = abs(y[{i}]) + 0.25",
                f"    {k} = 0", f"    while {t} > {self.pick(['1.0', '0.3'])} and {k} < 60:",
                f"        {t} = {t} * 0.5", f"        {k} += 1", f"    {out}[{i}] = {t} + {k}"]

    def b_slice_update(self) -> list[str]:
        v = self.fresh("v")
        self.define_vector(v)
        upd = [f"{v}[1:] += {self.pick(['x[:-1]', 'y[:-1]', 'x[1:] * 0.5'])}",
               f"{v}[::2] *= {self.pick(['0.5', '-1.0', 'y.mean()'])}",
               f"{v}[:n // 2] -= {self.scalar(False)}", f"{v}[-1:] = {v}[:1] * 2.0"]
        lines = [f"{v} = {self.pick(['y.copy()', 'np.zeros(n)', 'y * 1.0'])}", f"if {self.cond()}:",
                 "    " + self.pick(upd)]
        if self.chance(0.6):
            lines += ["else:", "    " + self.pick(upd)]
        return lines

    def b_slice_update_loop(self) -> list[str]:
        v, i = self.fresh("v"), self.fresh("i")
        self.define_vector(v)
        op, rhs = self.pick(["+=", "*=", "-="]), self.pick(["0.5", f"x[{i}]", f"y[{i}]"])
        return [f"{v} = y.copy()", f"for {i} in range({self.bound()}):",
                f"    if x[{i}] > {self.pick(THRESHOLDS)}:", f"        {v}[{i}:] {op} {rhs}",
                *(["    else:", f"        {v}[:{i}] *= 0.5"] if self.chance(0.5) else [])]

    def returns_early(self, names: list[str]) -> list[str]:
        """A return from inside nested loops or a ``while`` (the function's last lines)."""
        ret = ", ".join(names)
        return self.pick([
            ["for r in range(n):", "    for c in range(r):", f"        if A[r, c] > {self.pick(THRESHOLDS)}:",
             f"            return {ret}, r * n + c", f"return {ret}, -1"],
            ["r = 0", "while r < n:", f"    if y[r] + x[r] > {self.pick(THRESHOLDS)}:", f"        return {ret}, r",
             "    r += 1", f"return {ret}, -1"],
            ["for r, (a, b) in enumerate(zip(x, y)):", f"    if a * b < {self.pick(THRESHOLDS)}:",
             f"        return {ret}, r", f"return {ret}, -1"],
        ])
