"""ImageNet-C blurs: gaussian, glass, defocus, motion and zoom blur, vectorised over the
batch with scipy.ndimage and scipy.signal (see :mod:`assay.suites.image_corruptions`)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from assay.suites.image_corruptions import Draws, image_corruption
from assay.suites.image_ops import correlated, separable


def _gaussian(images: np.ndarray, sigma: float) -> np.ndarray:
    """scikit-image's ``gaussian`` per channel (mode "nearest", truncate 4), over a batch."""
    return ndimage.gaussian_filter(
        images.astype(np.float64), sigma=(0, sigma, sigma, 0), mode="nearest", truncate=4.0
    )


@image_corruption("gaussian_blur", "Gaussian blur")
def gaussian_blur(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """A Gaussian filter of standard deviation c = 1, 2, 3, 4, 6 pixels."""
    return _gaussian(images, (1, 2, 3, 4, 6)[severity - 1])


@image_corruption("glass_blur", "glass blur: blurred, pixels locally shuffled, blurred")
def glass_blur(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """Gaussian blur (sigma), rounded down to 8 bits, then ``iterations`` sweeps from the
    bottom-right corner replacing each pixel by one up to ``delta`` away (the published code
    means to swap them, but its swap of numpy views copies), then blurred again;
    (sigma, delta, iterations) = (.7, 1, 2), (.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2).
    The sweeps run over the whole batch at once, each image with its own offsets."""
    n, height, width = images.shape[:3]
    delta, iterations = GLASS_BLUR[severity - 1][1:]
    count = len(range(height - delta, delta, -1)) * len(range(width - delta, delta, -1))
    offsets = draws.uniform("shuffle", iterations * count * 2)
    offsets = (np.floor(offsets * 2 * delta) - delta).astype(np.intp)
    return glass_blur_with(images, offsets.reshape(n, iterations, count, 2), severity)


GLASS_BLUR = ((0.7, 1, 2), (0.9, 2, 1), (1, 2, 3), (1.1, 3, 2), (1.5, 4, 2))


def glass_blur_with(images: np.ndarray, offsets: np.ndarray, severity: int) -> np.ndarray:
    """Glass blur given each image's swap offsets, N × iterations × swaps × (dx, dy)."""
    sigma, delta, iterations = GLASS_BLUR[severity - 1]
    n, height, width = images.shape[:3]
    x = np.floor(_gaussian(images, sigma) * 255) / 255
    places = [
        (h, w) for h in range(height - delta, delta, -1) for w in range(width - delta, delta, -1)
    ]
    every = np.arange(n)
    for it in range(iterations):
        for step, (h, w) in enumerate(places):
            dx, dy = offsets[:, it, step, 0], offsets[:, it, step, 1]
            # the reference's ``x[h, w], x[h', w'] = x[h', w'], x[h, w]`` swaps numpy views,
            # which copies the far pixel here and leaves it in place: ImageNet-C as published
            x[:, h, w] = x[every, h + dy, w + dx]
    return _gaussian(x, sigma)


def disk_kernel(radius: float, alias_blur: float) -> np.ndarray:
    """A normalised disk of ``radius`` on a 17×17 grid (wider for larger radii), smoothed by
    a small Gaussian (the reference's OpenCV ``GaussianBlur``, reflect-101 border).

    Example:
        >>> float(disk_kernel(3, 0.1).sum().round(6))
        1.0
    """
    span = 8 if radius <= 8 else int(radius)
    size = 3 if radius <= 8 else 5
    grid = np.arange(-span, span + 1)
    xs, ys = np.meshgrid(grid, grid)
    disk = (xs**2 + ys**2 <= radius**2).astype(np.float64)
    disk /= disk.sum()
    taps = np.arange(size) - size // 2
    weights = np.exp(-(taps**2) / (2 * alias_blur**2))
    weights /= weights.sum()
    smoothed = ndimage.correlate1d(disk, weights, axis=0, mode="mirror")
    return ndimage.correlate1d(smoothed, weights, axis=1, mode="mirror")


@image_corruption("defocus_blur", "defocus blur (a disk kernel)")
def defocus_blur(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """Correlation with a disk of radius r, anti-aliased by a Gaussian of alias_blur, border
    reflect-101; (r, alias_blur) = (3, .1), (4, .5), (6, .5), (8, .5), (10, .5). Computed by
    FFT over the batch."""
    radius, alias = ((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5))[severity - 1]
    return correlated(images, disk_kernel(radius, alias))


@image_corruption("motion_blur", "motion blur at a random angle")
def motion_blur(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """The mean of the image shifted along a line at an angle drawn uniformly in
    [-45°, 45°] per image, shift i of ``2·radius + 1`` weighted by a half-Gaussian of sigma
    (edge pixels repeated; the line stops where a shift leaves the image);
    (radius, sigma) = (10, 3), (15, 5), (15, 8), (15, 12), (20, 15)."""
    return motion_blur_at(images, draws.uniform("angle", 1)[:, 0] * 90 - 45, severity)


def motion_blur_at(images: np.ndarray, degrees: np.ndarray, severity: int) -> np.ndarray:
    """Motion blur given each image's angle in degrees."""
    radius, sigma = ((10, 3), (15, 5), (15, 8), (15, 12), (20, 15))[severity - 1]
    height, width = images.shape[1:3]
    length = 2 * radius + 1
    weights = np.exp(-(np.arange(length) ** 2) / (2 * sigma**2))
    weights /= weights.sum()
    angle = np.deg2rad(degrees)
    steps = np.arange(length)[None, :]
    dy = -np.ceil(steps * np.sin(angle)[:, None] - 0.5).astype(np.intp)
    dx = -np.ceil(steps * np.cos(angle)[:, None] - 0.5).astype(np.intp)
    # once a shift leaves the image, the reference stops adding shifts for that image
    inside = np.cumprod((np.abs(dy) < height) & (np.abs(dx) < width), axis=1).astype(bool)
    # edge padding by the longest shift turns "clip to the edge" into a window: at each
    # step the images that shift alike (a few groups) are added as one block
    pad = length
    padded = np.pad(images.astype(np.float32), ((0, 0), (pad, pad), (pad, pad), (0, 0)), "edge")
    blurred = np.zeros(images.shape, np.float32)
    for i in range(length):
        live = np.flatnonzero(inside[:, i])
        if not live.size:
            break
        codes = dy[live, i] * (4 * pad) + dx[live, i]
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        for members in np.split(live[order], bounds):
            y, x = pad - dy[members[0], i], pad - dx[members[0], i]
            window = padded[members, y : y + height, x : x + width]
            blurred[members] += np.float32(weights[i]) * window
    return blurred


def linear_zoom_weights(size_in: int, size_out: int) -> np.ndarray:
    """The size_out × size_in matrix of ``scipy.ndimage.zoom(order=1)`` along one axis
    (output i samples input i·(in − 1)/(out − 1), linearly).

    Example:
        >>> linear_zoom_weights(2, 3).tolist()
        [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
    """
    step = (size_in - 1) / (size_out - 1) if size_out > 1 else 0.0
    where = np.arange(size_out) * step
    low = np.minimum(np.floor(where).astype(np.intp), size_in - 1)
    high = np.minimum(low + 1, size_in - 1)
    weights = np.zeros((size_out, size_in))
    np.add.at(weights, (np.arange(size_out), low), 1 - (where - low))
    np.add.at(weights, (np.arange(size_out), high), where - low)
    return weights


def _zoomed(images: np.ndarray, factor: float) -> np.ndarray:
    """The centre 1/factor of every image scaled back up by ``factor`` (bilinear, as the
    reference's ``clipped_zoom`` with scipy.ndimage.zoom), cut to the image size; two matrix
    products over the batch."""
    height, width = images.shape[1:3]
    crop_h, crop_w = int(np.ceil(height / factor)), int(np.ceil(width / factor))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    crop = images[:, top : top + crop_h, left : left + crop_w]
    rows = linear_zoom_weights(crop_h, round(crop_h * factor))[:height]
    cols = linear_zoom_weights(crop_w, round(crop_w * factor))[:width]
    scaled = separable(crop, rows, cols)
    if scaled.shape[1:3] == (height, width):
        return scaled
    out = np.zeros(images.shape, scaled.dtype)  # a rounding short of the size: zero-filled
    out[:, : scaled.shape[1], : scaled.shape[2]] = scaled
    return out


ZOOM_FACTORS = (
    np.arange(1, 1.11, 0.01),
    np.arange(1, 1.16, 0.01),
    np.arange(1, 1.21, 0.02),
    np.arange(1, 1.26, 0.02),
    np.arange(1, 1.31, 0.03),
)


@image_corruption("zoom_blur", "zoom blur (the mean of zoomed copies)")
def zoom_blur(images: np.ndarray, draws: Draws, severity: int) -> np.ndarray:
    """The mean of the image and its centre zoomed by factors 1 to 1.1 (step .01), 1.15
    (.01), 1.2 (.02), 1.25 (.02), 1.3 (.03)."""
    factors = ZOOM_FACTORS[severity - 1]
    x = images.astype(np.float32)
    total = x.copy()
    for factor in factors:
        total += _zoomed(x, float(factor))
    return total / (len(factors) + 1)
