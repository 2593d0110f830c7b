"""Fit the polynomial coefficients of tracejit's vector math library.

Run ``python tools/fit_mathlib.py > tracejit/compiler/mathlib/coeffs.py`` to regenerate
(needs mpmath). Each approximation is a polynomial in ``t`` fitted by interpolation at
Chebyshev nodes in high precision (within a small factor of the minimax polynomial),
its coefficients rounded to float64, and its maximum error measured on a dense grid with
the rounded coefficients. Also emits the bits of 2/pi used by Payne-Hanek reduction.
"""
from __future__ import annotations

import mpmath as mp

mp.mp.prec = 256


def chebyshev_fit(g, a, b, degree):
    """Monomial coefficients (in t) of the polynomial interpolating g at Chebyshev nodes."""
    n = degree + 1
    nodes = [(a + b) / 2 + (b - a) / 2 * mp.cos(mp.pi * (2 * k + 1) / (2 * n)) for k in range(n)]
    # Solve the Vandermonde system in high precision (fine at these degrees).
    matrix = mp.matrix([[x**j for j in range(n)] for x in nodes])
    rhs = mp.matrix([g(x) for x in nodes])
    coeffs = mp.lu_solve(matrix, rhs)
    return [coeffs[j] for j in range(n)]


def rounded(coeffs):
    return [float(c) for c in coeffs]


def max_rel_error(g, coeffs, a, b, samples=2000):
    worst = mp.mpf(0)
    for k in range(samples + 1):
        t = a + (b - a) * mp.mpf(k) / samples
        p = mp.mpf(0)
        for c in reversed(coeffs):
            p = p * t + mp.mpf(c)
        exact = g(t)
        if exact != 0:
            worst = max(worst, abs(p - exact) / abs(exact))
    return worst


def safe(f, t0_value):
    """g(t) with its limit near t == 0 supplied (where the formula cancels)."""
    def g(t):
        return t0_value if abs(t) < mp.mpf(10) ** -40 else f(t)
    return g


LN2 = mp.log(2)
S_MAX = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)
TAN_PI_8 = mp.tan(mp.pi / 8)

FITS = {
    # name: (g(t), interval, degree, doc)
    "EXP_P": (safe(lambda r: (mp.exp(r) - 1 - r) / r**2, mp.mpf(1) / 2),
              (-LN2 / 2 - mp.mpf("1e-3"), LN2 / 2 + mp.mpf("1e-3")), 9,
              "exp(r) = 1 + r + r**2 * P(r), |r| <= ln2/2 (also expm1)"),
    "EXP2_Q": (safe(lambda r: (mp.power(2, r) - 1) / r, LN2), (-mp.mpf(1) / 2, mp.mpf(1) / 2), 12,
               "2**r = 1 + r * Q(r), |r| <= 1/2"),
    "LOG_R": (safe(lambda z: (2 * mp.atanh(mp.sqrt(z)) / mp.sqrt(z) - 2) / z, mp.mpf(2) / 3), (mp.mpf(0), S_MAX**2), 7,
              "log(1+f) = 2s + s*z*R(z), s = f/(2+f), z = s**2 <= 0.0295"),
    "SIN_S": (safe(lambda z: (mp.sin(mp.sqrt(z)) - mp.sqrt(z)) / mp.sqrt(z) ** 3, -mp.mpf(1) / 6),
              (mp.mpf(0), (mp.pi / 4) ** 2), 5,
              "sin(r) = r + r**3 * S(r**2), |r| <= pi/4"),
    "COS_C": (safe(lambda z: (mp.cos(mp.sqrt(z)) - 1 + z / 2) / z**2, mp.mpf(1) / 24), (mp.mpf(0), (mp.pi / 4) ** 2), 5,
              "cos(r) = 1 - r**2/2 + r**4 * C(r**2), |r| <= pi/4"),
    "ATAN_A": (safe(lambda z: (mp.atan(mp.sqrt(z)) - mp.sqrt(z)) / mp.sqrt(z) ** 3, -mp.mpf(1) / 3),
               (mp.mpf(0), TAN_PI_8**2), 11,
               "atan(a) = a + a**3 * A(a**2), 0 <= a <= tan(pi/8)"),
    "ERF_SMALL": (safe(lambda z: mp.erf(mp.sqrt(z)) / mp.sqrt(z), 2 / mp.sqrt(mp.pi)), (mp.mpf(0), mp.mpf(1)), 13,
                  "erf(x) = x * E(x**2), |x| <= 1"),
    "ERFC_MID": (lambda x: mp.erfc(x + mp.mpf("1.75")) * mp.exp((x + mp.mpf("1.75")) ** 2),
                 (-mp.mpf("0.75"), mp.mpf("0.75")), 22,
                 "erfc(x) = exp(-x**2) * F(x - 1.75), 1 <= x <= 2.5"),
    "ERFC_HIGH": (lambda x: mp.erfc(x + mp.mpf("4.25")) * mp.exp((x + mp.mpf("4.25")) ** 2),
                  (-mp.mpf("1.75"), mp.mpf("1.75")), 22,
                  "erfc(x) = exp(-x**2) * G(x - 4.25), 2.5 <= x <= 6"),
}

# float32 kernels: lower degrees, fitted for ~2**-30 so rounding dominates.
FITS_F32 = {
    "EXP_P_F": (FITS["EXP_P"][0], FITS["EXP_P"][1], 4, "float32: exp(r) = 1 + r + r**2 * P(r)"),
    "LOG_R_F": (FITS["LOG_R"][0], FITS["LOG_R"][1], 2, "float32: log(1+f) = 2s + s*z*R(z)"),
    "SIN_S_F": (FITS["SIN_S"][0], FITS["SIN_S"][1], 2, "float32: sin(r) = r + r**3 * S(r**2)"),
    "COS_C_F": (FITS["COS_C"][0], FITS["COS_C"][1], 2, "float32: cos(r) = 1 - r**2/2 + r**4 * C(r**2)"),
    "TANH_T_F": (safe(lambda z: (mp.tanh(mp.sqrt(z)) - mp.sqrt(z)) / mp.sqrt(z) ** 3, -mp.mpf(1) / 3),
                 (mp.mpf(0), mp.mpf("0.625") ** 2), 5, "float32: tanh(x) = x + x**3 * T(x**2), |x| <= 0.625"),
}


def split_constant(value, bits):
    """value as hi + lo where hi keeps ``bits`` significant bits (so k * hi is exact)."""
    m, e = mp.frexp(value)
    hi = mp.ldexp(mp.floor(mp.ldexp(m, bits)), e - bits)
    return float(hi), float(value - hi)


def _float32_split(value, bits):
    """value as float32 hi (``bits`` significant bits) + float32 lo."""
    import numpy as np
    hi, _ = split_constant(value, bits)
    return float(np.float32(hi)), float(np.float32(float(value - mp.mpf(hi))))


def _float32_three_parts(value, bits):
    """value = a + b + c in float32: a with ``bits`` significant bits (k * a exact for
    |k| < 2**(24 - bits)), b and c full float32."""
    import numpy as np
    a, _ = split_constant(value, bits)
    b = float(np.float32(float(value - mp.mpf(a))))
    return float(np.float32(a)), b, float(np.float32(float(value - mp.mpf(a) - mp.mpf(b))))


def _three_parts(value, bits):
    """value = a + b + c: a with ``bits`` significant bits, b and c full doubles."""
    a, _ = split_constant(value, bits)
    b = float(value - mp.mpf(a))
    return a, b, float(value - mp.mpf(a) - mp.mpf(b))


def two_over_pi_chunks(count: int, bits: int = 24):
    """2/pi as consecutive ``bits``-bit integer chunks: 2/pi = sum_j C_j * 2**(-bits*(j+1))."""
    with mp.workprec(bits * count + 64):
        frac = 2 / mp.pi
        chunks = []
        for _ in range(count):
            frac *= 2**bits
            whole = int(mp.floor(frac))
            chunks.append(float(whole))
            frac -= whole
    return chunks


def main() -> None:
    print('"""Polynomial coefficients and constants of the vector math library.')
    print()
    print("Generated by tools/fit_mathlib.py (mpmath, Chebyshev interpolation); do not edit.")
    print("Each list holds monomial coefficients, lowest degree first; the comment gives the")
    print('approximation and its measured maximum relative error with these rounded coefficients."""')
    print()
    for name, (g, (a, b), degree, doc) in {**FITS, **FITS_F32}.items():
        coeffs = rounded(chebyshev_fit(g, a, b, degree))
        if name.endswith("_F"):
            import numpy as np
            coeffs = [float(np.float32(c)) for c in coeffs]
        err = max_rel_error(g, coeffs, a, b)
        print(f"# {doc}; max rel error {mp.nstr(err, 3)}")
        print(f"{name} = [")
        for c in coeffs:
            print(f"    float.fromhex({c.hex()!r}),")
        print("]")
        print()
    consts = {
        "LN2_HI_LO": split_constant(LN2, 32),
        "PIO2_1_2_3": _three_parts(mp.pi / 2, 33),
        "PIO2_HI_LO": (float(mp.pi / 2), float(mp.pi / 2 - mp.mpf(float(mp.pi / 2)))),
        "PIO4_HI_LO": (float(mp.pi / 4), float(mp.pi / 4 - mp.mpf(float(mp.pi / 4)))),
        "LN2_HI_LO_F": _float32_split(LN2, 16),
        "PIO2_1_2_3_F": _float32_three_parts(mp.pi / 2, 14),
    }
    for name, pair in consts.items():
        values = [f"float.fromhex({v.hex()!r})" for v in pair]
        line = f"{name} = ({', '.join(values)})"
        if len(line) > 120:  # the project's line length (pyproject.toml)
            line = f"{name} = (\n" + "".join(f"    {v},\n" for v in values) + ")"
        print(line)
    print()
    print("# 2/pi in 24-bit integer chunks: 2/pi = sum(C[j] * 2**(-24*(j+1)))")
    print("TWO_OVER_PI_24 = [")
    for c in two_over_pi_chunks(56):
        print(f"    float.fromhex({c.hex()!r}),")
    print("]")


if __name__ == "__main__":
    main()
