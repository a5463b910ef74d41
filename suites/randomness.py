"""Counter-based per-example randomness: the same (seed, example id) always gets the same
draws, whatever the order, batch or shard the example arrives in (HELM's per-example seeding,
vectorised with SplitMix64 so a million rows cost milliseconds)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from assay.metrics.rowwise import map_on_cores

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


BLOCK_ROWS = 8_192  # rows per step of a whole-row job
DRAWS_PER_STEP = 1 << 16  # draws made at a time: the uint64 temporaries stay in cache


def for_each_block(n_rows: int, work: Callable[[slice], None]) -> None:
    """Call ``work(rows)`` for every block of :data:`BLOCK_ROWS` rows, on all cores.

    The blocks are independent and numpy releases the GIL in its loops, so a million rows of
    noise take half the time on two cores; what each block computes does not depend on the
    number of threads.

    Example:
        >>> out = np.zeros(3)
        >>> for_each_block(3, lambda rows: out.__setitem__(rows, 1.0))
        >>> out.tolist()
        [1.0, 1.0, 1.0]
    """
    map_on_cores(work, [slice(start, start + BLOCK_ROWS) for start in range(0, n_rows, BLOCK_ROWS)])


def splitmix64(values: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser applied element-wise to uint64 values (in place on a copy:
    no temporaries the size of the input).

    Example:
        >>> splitmix64(np.array([0], dtype=np.uint64)).tolist()
        [16294208416658607535]
    """
    z = values.astype(np.uint64)
    z += _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _MIX1
    z ^= z >> np.uint64(27)
    z *= _MIX2
    z ^= z >> np.uint64(31)
    return z


def _uniform_rows(base: np.ndarray, width: int) -> np.ndarray:
    counters = np.arange(1, width + 1, dtype=np.uint64) * _GOLDEN
    bits = splitmix64(base[:, None] + counters[None, :])
    bits >>= np.uint64(11)
    return bits.astype(np.float64) * (1.0 / (1 << 53))


def _base_words(keys: np.ndarray, seed: int) -> np.ndarray:
    seed_word = splitmix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))
    return splitmix64(np.asarray(keys, dtype=np.uint64) ^ seed_word)


def _steps(n_rows: int, width: int) -> list[slice]:
    """Row blocks holding about :data:`DRAWS_PER_STEP` draws each (whole rows)."""
    step = max(1, DRAWS_PER_STEP // max(width, 1))
    return [slice(start, start + step) for start in range(0, n_rows, step)]


def per_example_uniform(keys: np.ndarray, seed: int, width: int) -> np.ndarray:
    """An N×width array of uniforms in [0, 1), row i determined by (seed, keys[i]) alone.

    Example:
        >>> a = per_example_uniform(np.array([7, 8], dtype=np.uint64), seed=0, width=3)
        >>> b = per_example_uniform(np.array([8], dtype=np.uint64), seed=0, width=3)
        >>> bool(np.array_equal(a[1], b[0]))
        True
    """
    base = _base_words(keys, seed)
    out = np.empty((len(base), width))
    for rows in _steps(len(base), width):
        out[rows] = _uniform_rows(base[rows], width)
    return out


def per_example_normal(keys: np.ndarray, seed: int, width: int) -> np.ndarray:
    """An N×width array of standard normal draws, row i fixed by (seed, keys[i]): Box–Muller
    on ⌈width/2⌉ pairs of uniforms, both outputs used (cosines, then sines), made in blocks of
    rows so no temporary the size of the output exists.

    Example:
        >>> z = per_example_normal(np.arange(2_000, dtype=np.uint64), seed=0, width=5)
        >>> bool(abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05)
        True
    """
    base = _base_words(keys, seed)
    pairs = (width + 1) // 2
    out = np.empty((len(base), width))
    for rows in _steps(len(base), 2 * pairs):
        uniforms = _uniform_rows(base[rows], 2 * pairs)
        radius = np.sqrt(-2.0 * np.log1p(-uniforms[:, :pairs]))
        angle = uniforms[:, pairs:]
        angle *= 2.0 * np.pi
        cosine = np.cos(angle)
        # the sine from the cosine: one sqrt costs a fraction of np.sin (no SIMD for float64)
        sine = np.sqrt(np.maximum(1.0 - cosine * cosine, 0.0))
        np.copysign(sine, np.pi - angle, out=sine)
        out[rows, :pairs] = radius * cosine
        out[rows, pairs:] = (radius * sine)[:, : width - pairs]
    return out
