"""ImageNet-C's remaining corruptions (elastic transform, pixelate, JPEG, fog) and two
geometric shifts outside it (rotation, translation); see :mod:`assay.suites.image_corruptions`.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from scipy import ndimage

from assay.suites.image_corruptions import Draws, image_corruption
from assay.suites.image_ops import separable

PIXELS_PER_CALL = 1 << 21  # map_coordinates' coordinate arrays stay ~64 MB


def _mapped(images: np.ndarray, rows: np.ndarray, cols: np.ndarray, mode: str) -> np.ndarray:
    """Every image sampled bilinearly at its own (rows, cols) grid (N×H×W each), channels
    kept; in pieces of images so the coordinate arrays stay small."""
    n, height, width, channels = images.shape
    out = np.empty(images.shape, np.float64)
    per_call = max(1, PIXELS_PER_CALL // (height * width * channels))
    for start in range(0, n, per_call):
        part = slice(start, start + per_call)
        count = len(images[part])
        shape = (count, height, width, channels)
        index = np.broadcast_to(np.arange(count)[:, None, None, None], shape)
        channel = np.broadcast_to(np.arange(channels)[None, None, None, :], shape)
        coordinates = [
            index,
            np.broadcast_to(rows[part][..., None], shape),
            np.broadcast_to(cols[part][..., None], shape),
            channel,
        ]
        out[part] = ndimage.map_coordinates(
            images[part].astype(np.float64), coordinates, order=1, mode=mode
        )
    return out


@image_corruption("elastic_transform", "elastic transform (a smooth random displacement)")
def elastic_transform(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """Pixels moved by a displacement field: uniform noise in ±0.005·H per pixel, smoothed
    by a Gaussian of 0.01·(H, W) pixels (reflect border, truncate 3), times alpha =
    250·(.05, .065, .085, .1, .12); bilinear resampling, reflect border."""
    n, height, width = images.shape[:3]
    limit = height * 0.005
    dx, dy = (
        ((draws.uniform(axis, height * width) * 2 - 1) * limit).reshape(n, height, width)
        for axis in ("dx", "dy")
    )
    return elastic_transform_with(images, dx, dy, severity)


def elastic_transform_with(
    images: np.ndarray, noise_x: np.ndarray, noise_y: np.ndarray, severity: int
) -> np.ndarray:
    """Elastic transform given each image's raw displacement noise (N×H×W, x and y)."""
    alpha = 250 * (0.05, 0.065, 0.085, 0.1, 0.12)[severity - 1]
    height, width = images.shape[1:3]
    sigma = (0, height * 0.01, width * 0.01)
    dx, dy = (
        (ndimage.gaussian_filter(noise, sigma=sigma, mode="reflect", truncate=3) * alpha).astype(
            np.float32
        )
        for noise in (noise_x, noise_y)
    )
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    return _mapped(images, ys + dy, xs + dx, "reflect")


ROTATION_DEGREES = (6, 12, 18, 24, 30)


@image_corruption("rotation", "rotation about the centre by a set angle, either way")
def rotation(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """Each image rotated about its centre by c = 6, 12, 18, 24, 30 degrees, clockwise or
    anticlockwise (even odds per image); bilinear, edge pixels repeated beyond the border."""
    height, width = images.shape[1:3]
    sign = np.where(draws.uniform("direction", 1)[:, 0] < 0.5, -1.0, 1.0)
    theta = np.deg2rad(ROTATION_DEGREES[severity - 1]) * sign
    cy, cx = (height - 1) / 2, (width - 1) / 2
    ys, xs = np.meshgrid(np.arange(height) - cy, np.arange(width) - cx, indexing="ij")
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    rows = cos * ys[None] - sin * xs[None] + cy
    cols = sin * ys[None] + cos * xs[None] + cx
    return _mapped(images, rows, cols, "nearest")


TRANSLATION_FRACTIONS = (0.04, 0.08, 0.12, 0.16, 0.2)


@image_corruption("translation", "translation by a set distance in a random direction")
def translation(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """Each image moved by c = .04, .08, .12, .16, .2 of its size in a direction drawn
    uniformly per image; bilinear, edge pixels repeated into the uncovered border."""
    height, width = images.shape[1:3]
    direction = draws.uniform("direction", 1)[:, 0] * 2 * np.pi
    fraction = TRANSLATION_FRACTIONS[severity - 1]
    shift_y = (np.sin(direction) * fraction * height)[:, None, None]
    shift_x = (np.cos(direction) * fraction * width)[:, None, None]
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    return _mapped(images, ys[None] - shift_y, xs[None] - shift_x, "nearest")


def box_weights(size_in: int, size_out: int) -> np.ndarray:
    """The size_out × size_in matrix of Pillow's BOX resampling (its ``precompute_coeffs``).

    Example:
        >>> box_weights(4, 2).tolist()
        [[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]]
    """
    scale = size_in / size_out
    support = 0.5 * max(scale, 1.0)
    weights = np.zeros((size_out, size_in))
    for out in range(size_out):
        center = (out + 0.5) * scale
        low = max(int(center - support + 0.5), 0)
        high = min(int(center + support + 0.5), size_in)
        taps = (np.arange(low, high) - center + 0.5) / max(scale, 1.0)
        inside = (taps > -0.5) & (taps <= 0.5)
        weights[out, low:high] = inside
        weights[out] /= weights[out].sum()
    return weights


@image_corruption("pixelate", "pixelation (box down-sampling, nearest up-sampling)")
def pixelate(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """Down-sampled to c = .6, .5, .4, .3, .25 of each side with Pillow's BOX filter, then
    back up with nearest neighbours; both as matrix products over the whole batch."""
    c = (0.6, 0.5, 0.4, 0.3, 0.25)[severity - 1]
    height, width = images.shape[1:3]
    small_h, small_w = int(height * c), int(width * c)
    down_h, down_w = box_weights(height, small_h), box_weights(width, small_w)
    small = separable(images, down_h, down_w)
    rows = np.floor((np.arange(height) + 0.5) * small_h / height).astype(np.intp)
    cols = np.floor((np.arange(width) + 0.5) * small_w / width).astype(np.intp)
    return small[:, rows][:, :, cols]


@image_corruption("jpeg_compression", "JPEG compression artefacts", parallel=False)
def jpeg_compression(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """Each image saved as a JPEG of quality c = 25, 18, 15, 10, 7 with Pillow and read back
    (rounded to 8 bits first; grayscale images as grayscale JPEGs)."""
    quality = (25, 18, 15, 10, 7)[severity - 1]
    pixels = np.round(np.clip(images, 0, 1) * 255).astype(np.uint8)
    plain = pixels[..., 0] if pixels.shape[-1] == 1 else pixels
    decoded = np.empty(plain.shape, np.uint8)
    for index, image in enumerate(plain):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "JPEG", quality=quality)
        buffer.seek(0)
        with Image.open(buffer) as read:
            decoded[index] = np.asarray(read)
    return decoded.reshape(images.shape).astype(np.float32) / np.float32(255)


def plasma_fractal(uniforms: np.ndarray, size: int, decay: float) -> np.ndarray:
    """N height maps in [0, 1] of side ``size`` (a power of two) by the diamond-square
    algorithm, one per row of ``uniforms`` (each needs :func:`plasma_draws` values).

    Example:
        >>> u = np.random.default_rng(0).random((2, plasma_draws(8)))
        >>> maps = plasma_fractal(u, 8, 2.0)
        >>> maps.shape, float(maps.min()), float(maps.max())
        ((2, 8, 8), 0.0, 1.0)
    """
    n = len(uniforms)
    maps = np.zeros((n, size, size))
    step, wibble, used = size, 100.0, 0

    def jittered(total: np.ndarray) -> np.ndarray:
        nonlocal used
        count = total[0].size
        u = uniforms[:, used : used + count].reshape(total.shape)
        used += count
        return total / 4 + wibble * (u * 2 * wibble - wibble)

    while step >= 2:
        half = step // 2
        corners = maps[:, 0:size:step, 0:size:step]
        squares = corners + np.roll(corners, -1, axis=1)
        squares = squares + np.roll(squares, -1, axis=2)
        maps[:, half:size:step, half:size:step] = jittered(squares)
        centres = maps[:, half:size:step, half:size:step]
        corners = maps[:, 0:size:step, 0:size:step]
        across = centres + np.roll(centres, 1, axis=1) + corners + np.roll(corners, -1, axis=2)
        maps[:, 0:size:step, half:size:step] = jittered(across)
        down = centres + np.roll(centres, 1, axis=2) + corners + np.roll(corners, -1, axis=1)
        maps[:, half:size:step, 0:size:step] = jittered(down)
        step //= 2
        wibble /= decay
    maps -= maps.min(axis=(1, 2), keepdims=True)
    return maps / maps.max(axis=(1, 2), keepdims=True)


def plasma_draws(size: int) -> int:
    """How many uniforms one :func:`plasma_fractal` map of side ``size`` takes."""
    total, step = 0, size
    while step >= 2:
        total += 3 * (size // step) ** 2
        step //= 2
    return total


@image_corruption("fog", "fog (a plasma fractal added)")
def fog(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """x + a·plasma (a diamond-square fractal of wibble decay d), rescaled by m / (m + a) with
    m the image's maximum; (a, d) = (1.5, 2), (2, 2), (2.5, 1.7), (2.5, 1.5), (3, 1.4)."""
    height, width = images.shape[1:3]
    size = 1 << (max(height, width) - 1).bit_length()  # the next power of two
    decay = FOG[severity - 1][1]
    maps = plasma_fractal(draws.uniform("plasma", plasma_draws(size)), size, decay)
    return fog_with(images, maps, severity)


FOG = ((1.5, 2.0), (2.0, 2.0), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4))


def fog_with(images: np.ndarray, maps: np.ndarray, severity: int) -> np.ndarray:
    """Fog given each image's plasma map (N × side × side, side ≥ H, W)."""
    amount = FOG[severity - 1][0]
    height, width = images.shape[1:3]
    x = images.astype(np.float64)
    peak = x.max(axis=(1, 2, 3), keepdims=True)
    x = x + amount * maps[:, :height, :width, None]
    return x * peak / (peak + amount)
