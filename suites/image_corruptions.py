"""Image corruptions after Hendrycks & Dietterich (2019), "Benchmarking Neural Network
Robustness to Common Corruptions and Perturbations" (ImageNet-C), with its severity constants.

Every corruption is ``corrupt(images, draws, severity)`` over N×H×W×C float32 images in
[0, 1] (C is 1 or 3), registered as the shift ``image.<name>``; the suite's ``image:`` block
says where a dataset's images are and how they are laid out. The reference code
(github.com/hendrycks/robustness, packaged as ``imagecorruptions``) draws from numpy's global
random state one image at a time; here every random draw of example i comes from (suite seed,
corruption, example id) alone (:class:`Draws`), and the work is vectorised over the batch.
This module holds the noises and the colour changes; blurs and geometric ones live beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri, pdtr

from assay.hashing import seed_from
from assay.params import Param
from assay.suites.randomness import per_example_normal, per_example_uniform
from assay.suites.shifts import register_shift

IMAGE = frozenset({"image"})
SEVERITY = {"severity": Param("int", default=1, low=1, high=5, description="1 (mild) to 5")}
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as the reference


@dataclass(frozen=True)
class Draws:
    """Per-example random draws for one corruption: row i depends on (seed, id i, purpose).

    Example:
        >>> keys = np.array([3, 4], dtype=np.uint64)
        >>> a = Draws(keys, seed=0).uniform("angle", 1)
        >>> bool(np.array_equal(a[1], Draws(keys[1:], seed=0).uniform("angle", 1)[0]))
        True
    """

    keys: np.ndarray
    seed: int

    def uniform(self, purpose: str, width: int) -> np.ndarray:
        """N×width uniforms in [0, 1)."""
        return per_example_uniform(self.keys, seed_from(self.seed, purpose), width)

    def normal(self, purpose: str, width: int) -> np.ndarray:
        """N×width standard normal draws."""
        return per_example_normal(self.keys, seed_from(self.seed, purpose), width)


Corruption = Callable[[np.ndarray, Draws, int], np.ndarray]


def image_corruption(
    name: str, description: str, *, parallel: bool = True
) -> Callable[[Corruption], Corruption]:
    """Register ``corrupt(images, draws, severity)`` as the shift ``image.<name>`` (severity
    1-5; ``parallel``: whether blocks of images may run on several threads); the module
    keeps the plain function."""

    def decorate(corrupt: Corruption) -> Corruption:
        def shift(
            images: np.ndarray, *, example_keys: np.ndarray, seed: int, severity: int = 1
        ) -> np.ndarray:
            draws = Draws(np.asarray(example_keys), seed_from(seed, name))
            result = corrupt(images, draws, severity)
            if result.dtype != np.float32 or np.may_share_memory(result, images):
                result = result.astype(np.float32)  # a copy: the input is never changed
            return np.clip(result, 0.0, 1.0, out=result)

        shift.__doc__ = corrupt.__doc__
        shift.__name__ = name
        register_shift(
            f"image.{name}",
            description=f"{description}, severity 1-5",
            params=SEVERITY,
            severity="severity",
            column_kinds=IMAGE,
            parallel=parallel,
            row_local=True,
        )(shift)
        return corrupt

    return decorate


def _shaped(draws: np.ndarray, images: np.ndarray) -> np.ndarray:
    return draws.reshape(images.shape)


# --- noise ---------------------------------------------------------------------------------


@image_corruption("gaussian_noise", "additive Gaussian noise")
def gaussian_noise(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """x + c·z, z ~ N(0, 1) per pixel and channel; c = .08, .12, .18, .26, .38.

    Example:
        >>> x = np.full((2, 8, 8, 1), 0.5, np.float32)
        >>> keys = np.array([1, 2], dtype=np.uint64)
        >>> float(np.round(gaussian_noise(x, Draws(keys, 0), 5).std(), 1))
        0.4
    """
    c = (0.08, 0.12, 0.18, 0.26, 0.38)[severity - 1]
    z = _shaped(draws.normal("noise", images[0].size), images)
    return images + c * z


@image_corruption("shot_noise", "Poisson (shot) noise")
def shot_noise(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """Poisson(c·x) / c per pixel and channel; c = 60, 25, 12, 5, 3 (photons at full
    intensity). The Poisson draw is the exact inverse CDF of a per-example uniform."""
    c = (60, 25, 12, 5, 3)[severity - 1]
    u = _shaped(draws.uniform("noise", images[0].size), images)
    return poisson_quantile(images.astype(np.float64) * c, u) / c


DISTINCT_RATES = 1_024  # up to this many distinct rates, one CDF table serves them all
_GRID = 2.0**53  # per_example_uniform's draws are multiples of 1/_GRID


def poisson_quantile(rate: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The smallest k with P(Poisson(rate) ≤ k) ≥ u, element-wise (scipy's ``pdtr`` for the
    CDF).

    Images hold few distinct values (256 for 8-bit ones), so when the uniforms lie on the
    2⁻⁵³ grid the CDFs of the distinct rates go in one table, keyed as integers
    (code·2⁵⁴ + ⌊CDF·2⁵³⌋, and for u = m·2⁻⁵³, CDF < u ⟺ ⌊CDF·2⁵³⌋ < m exactly), and one
    ``searchsorted`` finds every k. Other inputs step from a normal guess. Both make the same
    comparisons, so which one runs never changes a result.

    Example:
        >>> poisson_quantile(np.array([0.0, 4.0, 4.0]), np.array([0.7, 0.0, 0.5])).tolist()
        [0.0, 0.0, 4.0]
    """
    import pandas as pd

    flat_rate, scaled_u = rate.ravel(), u.ravel() * _GRID
    codes, distinct = pd.factorize(flat_rate)
    on_grid = bool(np.all(np.floor(scaled_u) == scaled_u))
    if len(distinct) > DISTINCT_RATES or not on_grid or not len(distinct):
        return _stepped_poisson_quantile(rate, u)
    largest = float(distinct.max())
    width = int(np.ceil(largest + 12.0 * np.sqrt(largest) + 16.0))
    cdf = pdtr(np.arange(width, dtype=np.float64)[None, :], distinct[:, None])
    row_start = np.arange(len(distinct), dtype=np.uint64)[:, None] << np.uint64(54)
    table = (row_start + np.floor(cdf * _GRID).astype(np.uint64)).ravel()
    offsets = codes.astype(np.uint64) << np.uint64(54)
    found = np.searchsorted(table, offsets + scaled_u.astype(np.uint64), side="left")
    k = (found - codes.astype(np.int64) * width).astype(np.float64)
    beyond = np.flatnonzero(k >= width)  # u in the far tail: finish by stepping
    if beyond.size:
        k[beyond] = _stepped_poisson_quantile(flat_rate[beyond], u.ravel()[beyond])
    return k.reshape(rate.shape)


def _stepped_poisson_quantile(rate: np.ndarray, u: np.ndarray) -> np.ndarray:
    """:func:`poisson_quantile` for any rates: a normal guess, then exact steps up or down
    on scipy's ``pdtr`` (a few passes, vectorised)."""
    guess = rate + np.sqrt(rate) * ndtri(np.clip(u, 1e-12, 1 - 1e-12))
    k = np.maximum(np.floor(np.nan_to_num(guess)), 0.0)
    for direction in (1.0, -1.0):
        pending = np.flatnonzero(
            pdtr(k, rate) < u if direction > 0 else (k > 0) & (pdtr(k - 1, rate) >= u)
        )
        while pending.size:
            k.flat[pending] += direction
            kp, rp, up = k.flat[pending], rate.flat[pending], u.flat[pending]
            more = pdtr(kp, rp) < up if direction > 0 else (kp > 0) & (pdtr(kp - 1, rp) >= up)
            pending = pending[more]
    return k


@image_corruption("impulse_noise", "salt-and-pepper noise")
def impulse_noise(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """Each pixel value, with probability c, becomes 0 or 1 (even odds);
    c = .03, .06, .09, .17, .27 (scikit-image's ``random_noise(mode="s&p")``)."""
    c = (0.03, 0.06, 0.09, 0.17, 0.27)[severity - 1]
    size = images[0].size
    flipped = _shaped(draws.uniform("flip", size), images) <= c
    salted = _shaped(draws.uniform("salt", size), images) <= 0.5
    out = images.copy()
    out[flipped & salted] = 1.0
    out[flipped & ~salted] = 0.0
    return out


@image_corruption("speckle_noise", "multiplicative (speckle) noise")
def speckle_noise(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """x + x·c·z, z ~ N(0, 1); c = .15, .2, .35, .45, .6."""
    c = (0.15, 0.2, 0.35, 0.45, 0.6)[severity - 1]
    z = _shaped(draws.normal("noise", images[0].size), images)
    return images + images * c * z


# --- colour --------------------------------------------------------------------------------


@image_corruption("contrast", "contrast reduced towards each channel's mean")
def contrast(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """(x − m)·c + m with m each image's per-channel mean; c = .4, .3, .2, .1, .05."""
    c = (0.4, 0.3, 0.2, 0.1, 0.05)[severity - 1]
    means = images.mean(axis=(1, 2), keepdims=True, dtype=np.float64)
    return (images - means) * c + means


@image_corruption("brightness", "brightness raised (HSV value + c)")
def brightness(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """The HSV value V = max(r, g, b) raised by c = .1, .2, .3, .4, .5 (clipped at 1) with
    hue and saturation kept, i.e. every channel scaled by V'/V; grayscale: x + c."""
    c = (0.1, 0.2, 0.3, 0.4, 0.5)[severity - 1]
    if images.shape[-1] == 1:
        return images + c
    value = images.max(axis=-1, keepdims=True).astype(np.float64)
    raised = np.minimum(value + c, 1.0)
    scale = np.divide(raised, value, out=np.zeros_like(value), where=value > 0)
    return np.where(value > 0, images * scale, raised)


@image_corruption("saturate", "saturation scaled and shifted (HSV)")
def saturate(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """The HSV saturation S becomes clip(S·a + b) with hue and value kept;
    (a, b) = (.3, 0), (.1, 0), (2, 0), (5, .1), (20, .2). A gray pixel has hue 0 (red), as
    in scikit-image's conversion. Grayscale images: the luma of that result."""
    a, b = ((0.3, 0.0), (0.1, 0.0), (2.0, 0.0), (5.0, 0.1), (20.0, 0.2))[severity - 1]
    rgb = np.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images
    rgb = rgb.astype(np.float64)
    value = rgb.max(axis=-1, keepdims=True)
    chroma = value - rgb.min(axis=-1, keepdims=True)
    saturation = np.divide(chroma, value, out=np.zeros_like(value), where=value > 0)
    target = np.clip(saturation * a + b, 0.0, 1.0)
    ratio = np.divide(target, saturation, out=np.zeros_like(value), where=saturation > 0)
    out = value - (value - rgb) * ratio
    gray = saturation[..., 0] == 0  # hue 0: red at V, green and blue at V·(1 − S')
    out[gray] = np.concatenate([value, value * (1 - target), value * (1 - target)], -1)[gray]
    if images.shape[-1] == 1:
        return (out @ LUMA.astype(np.float64))[..., None]
    return out


# the blurs and geometric corruptions register themselves on import (they use image_corruption)
from assay.suites import image_blurs as _image_blurs  # noqa: E402, F401
from assay.suites import image_geometry as _image_geometry  # noqa: E402, F401
