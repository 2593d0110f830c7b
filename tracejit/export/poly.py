"""Sizes as polynomials of the run-time sizes: each slot of a program's size table, each
output dim and each buffer's byte count, fitted exactly (rational coefficients, total
degree at most 2) from programs traced at sample sizes, and checked on more samples."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

Monomial = tuple[int, ...]  # exponent of each symbol


@dataclass(frozen=True)
class Poly:
    """``sum(coef * prod(sym ** exp))`` over integer-valued symbols."""

    terms: tuple[tuple[Monomial, Fraction], ...]
    # quotients floor(P(sizes) / D), variables after the sizes (a long reduction's chunk count)
    aux: tuple[tuple[Poly, int], ...] = ()

    def variables(self, values: tuple[int, ...]) -> tuple[int, ...]:
        """The sizes, then each quotient's value."""
        return tuple(values) + tuple(int(p(values)) // d for p, d in self.aux)

    def __call__(self, values: tuple[int, ...]) -> Fraction:
        values = self.variables(values)
        total = Fraction(0)
        for mono, coef in self.terms:
            term = coef
            for v, e in zip(values, mono):
                term *= v ** e
            total += term
        return total

    def constant(self) -> int | None:
        """The value when it depends on no symbol (and is an integer), else None."""
        if all(not any(mono) for mono, _ in self.terms):
            value = sum((c for _, c in self.terms), Fraction(0))
            return int(value) if value.denominator == 1 else None
        return None

    def text(self, names: list[str]) -> str:
        """C-like text (``2*N + 64``); rational coefficients as a division of the whole."""
        if not self.terms:
            return "0"
        names = list(names) + [f"floor(({p.text(names)}) / {d})" for p, d in self.aux]
        den = 1
        for _, c in self.terms:
            den = den * c.denominator // _gcd(den, c.denominator)
        parts = []
        for mono, coef in self.terms:
            factors = [n if e == 1 else f"{n}*{n}" for n, e in zip(names, mono) if e]
            num = coef * den
            if not factors:
                parts.append(str(num))
            else:
                parts.append("*".join(([str(num)] if num != 1 else []) + factors))
        body = " + ".join(parts).replace("+ -", "- ")
        return body if den == 1 else f"({body}) / {den}"


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def monomials(k: int, degree: int = 2) -> list[Monomial]:
    """Every monomial of ``k`` symbols of total degree at most ``degree``, constant first."""
    out = [m for d in range(degree + 1) for m in itertools.product(range(d + 1), repeat=k) if sum(m) == d]
    return sorted(set(out), key=lambda m: (sum(m), tuple(-e for e in m)))


def sample_points(base: tuple[int, ...]) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Sizes to trace at: as many fitting points as monomials (unisolvent for degree 2),
    then four checking points (up to 2.5 times ``base``)."""
    k = len(base)
    fit = [base]
    for i in range(k):
        for step in (1, 2):
            fit.append(tuple(b + (step if j == i else 0) for j, b in enumerate(base)))
    for i, j in itertools.combinations(range(k), 2):
        fit.append(tuple(b + (1 if t in (i, j) else 0) for t, b in enumerate(base)))
    # far apart, at odd offsets: a size rounded up to a multiple (ceil(N / 64) * 64) is no
    # polynomial, and a window of nearby samples would not show it
    # and not in proportion (at 1:2:3 times base, floor(c*N / D) for two D's can be proportional)
    check = [tuple(b + 3 + 2 * t for t, b in enumerate(base)), tuple(2 * b + 1 + t for t, b in enumerate(base)),
             tuple(7 * b // 4 + 5 - t % 3 for t, b in enumerate(base)),
             tuple(5 * b // 2 + 11 + t for t, b in enumerate(base))]
    return fit, (check if k else [])


def fit(points: list[tuple[int, ...]], values: list[int], checks: list[tuple[tuple[int, ...], int]]) -> Poly | None:
    """The polynomial through ``(points, values)`` (one value per point), or None when it
    misses a checking point (the value is no polynomial of degree 2 in the sizes)."""
    k = len(points[0]) if points else 0
    if k == 0 or len(set(values)) == 1:
        poly = Poly((((0,) * k, Fraction(values[0])),)) if values[0] else Poly(())
        return poly if all(poly(p) == v for p, v in checks) else None
    monos = monomials(k)
    rows = [[Fraction(_mono_value(m, p)) for m in monos] + [Fraction(v)] for p, v in zip(points, values)]
    coefs = _solve(rows, len(monos))
    if coefs is None:
        return None
    poly = Poly(tuple((m, c) for m, c in zip(monos, coefs) if c))
    return poly if all(poly(p) == v for p, v in checks) else None


def _mono_value(mono: Monomial, point: tuple[int, ...]) -> int:
    out = 1
    for v, e in zip(point, mono):
        out *= v ** e
    return out


def _solve(rows: list[list[Fraction]], n: int) -> list[Fraction] | None:
    """Gauss-Jordan elimination on the augmented square system ``rows``."""
    rows = [r[:] for r in rows]
    for col in range(n):
        pivot = next((r for r in range(col, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        p = rows[col][col]
        rows[col] = [x / p for x in rows[col]]
        for r in range(len(rows)):
            if r != col and rows[r][col] != 0:
                f = rows[r][col]
                rows[r] = [x - f * y for x, y in zip(rows[r], rows[col])]
    return [rows[i][n] for i in range(n)]


def fit_quotient(points: list[tuple[int, ...]], values: list[int], candidates: list[Poly]) -> Poly | None:
    """A fit of ``values`` (at ``points``, fitting and checking ones together) affine in the
    sizes and one quotient ``floor(P / D)``, P a candidate polynomial and D a power of two:
    the chunk count, tail length and tail offset of a reduction split into chunks of D.
    Solved over every point at once: three or more points beyond the unknowns check it, and
    ``plan.py`` checks the result again at a size traced for that purpose."""
    k = len(points[0])
    for cand in candidates:
        for shift in range(24, 0, -1):  # the coarsest quotient first; integer coefficients only
            poly = Poly((), ((cand, 1 << shift),))
            quotients = [poly.variables(p)[-1] for p in points]
            if len(set(quotients)) < 2:
                continue
            monos = [tuple(1 if j == i else 0 for j in range(k + 1)) for i in range(k + 1)] + [(0,) * (k + 1)]
            rows = [[Fraction(_mono_value(m, poly.variables(p))) for m in monos] + [Fraction(v)]
                    for p, v in zip(points, values)]
            coefs = _least_exact(rows, len(monos))
            if coefs is not None and all(c.denominator == 1 for c in coefs):
                found = Poly(tuple((m, c) for m, c in zip(monos, coefs) if c), poly.aux)
                if all(found(p) == v for p, v in zip(points, values)):
                    return found
    return None


def _least_exact(rows: list[list[Fraction]], n: int) -> list[Fraction] | None:
    """The one exact solution of the overdetermined system ``rows`` (None: none, or not unique)."""
    rows = [r[:] for r in rows]
    pivots = 0
    for col in range(n):
        pivot = next((r for r in range(pivots, len(rows)) if rows[r][col] != 0), None)
        if pivot is None:
            return None
        rows[pivots], rows[pivot] = rows[pivot], rows[pivots]
        p = rows[pivots][col]
        rows[pivots] = [x / p for x in rows[pivots]]
        for r in range(len(rows)):
            if r != pivots and rows[r][col] != 0:
                f = rows[r][col]
                rows[r] = [x - f * y for x, y in zip(rows[r], rows[pivots])]
        pivots += 1
    if any(r[n] != 0 for r in rows[n:]):
        return None
    return [rows[i][n] for i in range(n)]
