"""Random streams for many runs at once: numpy's ``default_rng`` for each of thousands of seeds.

The Mesa model gives each run its own generators, ``np.random.default_rng(seed)`` and
``default_rng([seed, *suffix])``. The ensemble engine needs the same numbers for a whole batch
of runs, and seeding and drawing through numpy one run at a time costs more than the model's
arithmetic. :class:`Streams` does both for all runs at once:

* seeding: numpy hashes the entropy words with SeedSequence, asks it for four 64-bit words and
  initialises PCG64 with them (O'Neill 2014, "PCG: a family of simple fast space-efficient
  statistically good algorithms for random number generation", HMC-CS-2014-0905). The constants
  and steps are those of ``numpy/random/bit_generator.pyx`` and ``numpy/random/src/pcg64``,
  done here in integer arithmetic over arrays of seeds;
* drawing: PCG64's step (state x multiplier + increment, modulo 2**128) and its XSL-RR output,
  turned into a double as ``Generator.random`` does ((x >> 11) x 2**-53), compiled with numba
  and stepping four streams side by side (each step waits on the last one of its own stream).

Integer arithmetic is exact, so the doubles are numpy's, bit for bit; ``tests/test_ensemble.py``
checks them against ``default_rng`` for one- and two-word seeds and several suffixes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

# A run's streams, all seeded from its one integer seed (ODD 3.3): chance within the run is
# default_rng(seed); the others are default_rng([seed, STREAM, ...]).
PARAMETER_STREAM = 1        # a parameter's draw, + a 64-bit hash of its dotted name
HAZARD_STREAM = 3           # a hazard event's monthly uniform, + crc32 of its id (2: unused since
                            # parameters are drawn by name)

_U32 = np.uint32
_MASK32 = 0xFFFFFFFF
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R, _XSHIFT = 0xCA01F9DD, 0x4973F715, 16
_POOL = 4

# PCG's default 128-bit multiplier, as (high, low) 64-bit words; numba needs typed constants
# (a Python int would turn uint64 arithmetic into float arithmetic)
_MULT_HI, _MULT_LO = np.uint64(0x2360ED051FC65DA4), np.uint64(0x4385DF649FCCF645)
_LOW32, _SHIFT32, _ONE = np.uint64(_MASK32), np.uint64(32), np.uint64(1)
_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53


# ---- seeding: SeedSequence -----------------------------------------------------------------------


def _int_words(value: int) -> list[int]:
    """numpy's split of a non-negative integer into little-endian 32-bit words (0 -> [0])."""
    words = [value & _MASK32]
    value >>= 32
    while value:
        words.append(value & _MASK32)
        value >>= 32
    return words


class _Hash:
    """SeedSequence's running hash constant: the same sequence for every run."""

    def __init__(self, init: int, mult: int):
        self.value, self.mult = init, mult

    def mix(self, values: np.ndarray) -> np.ndarray:
        v = values ^ _U32(self.value)
        self.value = (self.value * self.mult) & _MASK32
        v = v * _U32(self.value)
        return v ^ (v >> _U32(_XSHIFT))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = _U32(_MIX_L) * x - _U32(_MIX_R) * y
    return r ^ (r >> _U32(_XSHIFT))


def _seed_state(entropy: np.ndarray) -> np.ndarray:
    """SeedSequence(entropy).generate_state(4, uint64) for each row of ``entropy`` (uint32)."""
    rows, length = entropy.shape
    h = _Hash(_INIT_A, _MULT_A)
    pool = [h.mix(entropy[:, i] if i < length else np.zeros(rows, _U32)) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], h.mix(pool[src]))
    for src in range(_POOL, length):
        for dst in range(_POOL):
            pool[dst] = _mix(pool[dst], h.mix(entropy[:, src]))
    out = np.empty((rows, 8), _U32)
    g = _Hash(_INIT_B, _MULT_B)
    for i in range(8):
        out[:, i] = g.mix(pool[i % _POOL])
    return out.astype("<u4").view("<u8").astype(np.uint64)  # little-endian pairs, as numpy


# ---- drawing: PCG64 ------------------------------------------------------------------------------


@njit(cache=True)
def _mulhi(a, b):
    """High 64 bits of the 128-bit product of two 64-bit words (from 32-bit halves)."""
    a0, a1 = a & _LOW32, a >> _SHIFT32
    b0, b1 = b & _LOW32, b >> _SHIFT32
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p00 >> _SHIFT32) + (p01 & _LOW32) + (p10 & _LOW32)
    return p11 + (p01 >> _SHIFT32) + (p10 >> _SHIFT32) + (mid >> _SHIFT32)


@njit(cache=True)
def _step(hi, lo, inc_hi, inc_lo):
    """PCG64's state update: state x multiplier + increment, modulo 2**128, in 64-bit words."""
    high = _mulhi(lo, _MULT_LO) + lo * _MULT_HI + hi * _MULT_LO
    lo = lo * _MULT_LO + inc_lo
    carry = _ONE if lo < inc_lo else np.uint64(0)
    return high + inc_hi + carry, lo


@njit(cache=True)
def _double(hi, lo):
    """PCG64's XSL-RR output of a state, as ``Generator.random`` turns it into a double."""
    x = hi ^ lo
    rot = hi >> np.uint64(58)
    x = (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))
    return np.float64(x >> np.uint64(11)) * _DOUBLE


@njit(cache=True)
def _seeded(s_hi, s_lo, inc_hi, inc_lo):
    """pcg64_set_seed's last step, for every stream in place."""
    for r in range(s_hi.size):
        s_hi[r], s_lo[r] = _step(s_hi[r], s_lo[r], inc_hi[r], inc_lo[r])


@njit(cache=True)
def _draw(s_hi, s_lo, inc_hi, inc_lo, out):
    """out[r, j] = stream r's next doubles, its state advanced past them. Four streams at a
    time, so that their chains of steps overlap in the processor."""
    R, k = out.shape
    r = 0
    while r + 4 <= R:
        h0, l0, a0, b0 = s_hi[r], s_lo[r], inc_hi[r], inc_lo[r]
        h1, l1, a1, b1 = s_hi[r + 1], s_lo[r + 1], inc_hi[r + 1], inc_lo[r + 1]
        h2, l2, a2, b2 = s_hi[r + 2], s_lo[r + 2], inc_hi[r + 2], inc_lo[r + 2]
        h3, l3, a3, b3 = s_hi[r + 3], s_lo[r + 3], inc_hi[r + 3], inc_lo[r + 3]
        for j in range(k):
            h0, l0 = _step(h0, l0, a0, b0)
            h1, l1 = _step(h1, l1, a1, b1)
            h2, l2 = _step(h2, l2, a2, b2)
            h3, l3 = _step(h3, l3, a3, b3)
            out[r, j] = _double(h0, l0)
            out[r + 1, j] = _double(h1, l1)
            out[r + 2, j] = _double(h2, l2)
            out[r + 3, j] = _double(h3, l3)
        s_hi[r], s_lo[r], s_hi[r + 1], s_lo[r + 1] = h0, l0, h1, l1
        s_hi[r + 2], s_lo[r + 2], s_hi[r + 3], s_lo[r + 3] = h2, l2, h3, l3
        r += 4
    for q in range(r, R):
        h, lo = s_hi[q], s_lo[q]
        for j in range(k):
            h, lo = _step(h, lo, inc_hi[q], inc_lo[q])
            out[q, j] = _double(h, lo)
        s_hi[q], s_lo[q] = h, lo


class Streams:
    """PCG64 streams seeded as ``np.random.default_rng([seed, *suffix])`` (or
    ``default_rng(seed)`` for an empty suffix) would be: one per (suffix, seed), suffix-major.
    Each call draws every stream's next doubles, as that generator's ``random`` would."""

    def __init__(self, seeds: Sequence[int], suffixes: Sequence[Sequence[int]] = ((),)):
        big = [s for s in seeds if not 0 <= int(s) < 2**64]
        if big:
            raise ValueError(f"seeds must be integers in [0, 2**64), got {big[0]!r}")
        seeds = np.array([int(s) for s in seeds], dtype=np.uint64)
        lo, hi = (seeds & _MASK32).astype(_U32), (seeds >> np.uint64(32)).astype(_U32)
        two = hi != 0  # numpy writes a seed below 2**32 as one word, else two
        # Suffixes of the same length are seeded together: one pass of SeedSequence's hash over
        # [suffixes x seeds] rows instead of one per suffix (a run draws each parameter from a
        # stream of its own: some seventy suffixes).
        tails = [[w for part in suffix for w in _int_words(int(part))] for suffix in suffixes]
        state = np.empty((len(tails), seeds.size, 4), np.uint64)
        for length in sorted({len(tail) for tail in tails}):
            which = [k for k, tail in enumerate(tails) if len(tail) == length]
            tail_words = np.array([tails[k] for k in which], dtype=_U32).reshape(len(which), length)
            for words, rows in ((1, np.flatnonzero(~two)), (2, np.flatnonzero(two))):
                if rows.size == 0:
                    continue
                entropy = np.empty((len(which), rows.size, words + length), _U32)
                entropy[:, :, 0] = lo[rows]
                if words == 2:
                    entropy[:, :, 1] = hi[rows]
                entropy[:, :, words:] = tail_words[:, None, :]
                seeded = _seed_state(entropy.reshape(-1, words + length)).reshape(len(which), rows.size, 4)
                state[np.ix_(which, rows)] = seeded
        state = state.reshape(-1, 4)
        # pcg64_set_seed: state 0, inc = (seq << 1) | 1, step, add the seed, step
        self.inc_hi = (state[:, 2] << np.uint64(1)) | (state[:, 3] >> np.uint64(63))
        self.inc_lo = (state[:, 3] << np.uint64(1)) | np.uint64(1)
        s_hi, s_lo = self.inc_hi, self.inc_lo  # 0 x multiplier + inc
        low = s_lo + state[:, 1]
        self.s_hi = s_hi + state[:, 0] + (low < s_lo).astype(np.uint64)
        self.s_lo = low
        _seeded(self.s_hi, self.s_lo, self.inc_hi, self.inc_lo)

    def __len__(self) -> int:
        return self.s_hi.size

    def uniforms(self, k: int) -> np.ndarray:
        """The next ``k`` doubles of every stream, [streams, k]."""
        return self.draw(np.empty((len(self), k)))

    def draw(self, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` [streams, k] (C-contiguous) with every stream's next ``k`` doubles."""
        if out.ndim != 2 or out.shape[0] != len(self) or not out.flags.c_contiguous or out.dtype != np.float64:
            raise ValueError(f"out must be a C-contiguous float64 array [{len(self)}, k], "
                             f"got {out.dtype} {out.shape}")
        _draw(self.s_hi, self.s_lo, self.inc_hi, self.inc_lo, out)
        return out


# The fixed layout of each month's uniform draws from ``model.rng``: the same whatever happens,
# so two engines (or two scenarios, for common random numbers) consume the stream identically.
def draw_layout(n: int) -> dict[str, slice]:
    names = [("reconsider", n), ("strategy", n), ("deal", n), ("compliance", n),
             ("move", 1), ("us_response", 1), ("europe_response", 1)]
    layout, k = {}, 0
    for name, size in names:
        layout[name] = slice(k, k + size)
        k += size
    return layout
