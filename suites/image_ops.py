"""Array operations the image corruptions share: separable resampling and FFT correlation
over a whole batch of N×H×W×C images."""

from __future__ import annotations

import numpy as np


def separable(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``rows @ image @ cols.T`` for every image and channel (N×h×w×C → N×H×W×C).

    The weights of a resampling have a few taps per output pixel, so each axis is a sum over
    those taps in a fixed order: the same numbers whatever the batch size (a BLAS product's
    summation order depends on the shapes).

    Example:
        >>> x = np.arange(4.0).reshape(1, 2, 2, 1)
        >>> separable(x, np.eye(2), np.array([[0.5, 0.5]]))[0, :, :, 0].tolist()
        [[0.5], [2.5]]
    """
    return _along(_along(images, rows, axis=1), cols, axis=2)


def _along(images: np.ndarray, weights: np.ndarray, axis: int) -> np.ndarray:
    taps = max(1, int((weights != 0).sum(axis=1).max()))
    order = np.argsort(weights == 0, axis=1, kind="stable")[:, :taps]  # nonzero taps first
    picked = np.take_along_axis(weights, order, axis=1)
    dtype = np.float32 if images.dtype == np.float32 else np.float64
    shape = [1] * images.ndim
    shape[axis] = len(weights)
    total = np.zeros((*images.shape[:axis], len(weights), *images.shape[axis + 1 :]), dtype)
    for tap in range(taps):
        gathered = np.take(images, order[:, tap], axis=axis)
        total += picked[:, tap].astype(dtype).reshape(shape) * gathered
    return total


def reflect_101(size: int, pad: int) -> np.ndarray:
    """Source indices of an axis padded by ``pad`` on both sides, mirrored without repeating
    the edge (OpenCV's default border), folding again where the pad is wider than the axis.

    Example:
        >>> reflect_101(3, 2).tolist()
        [2, 1, 0, 1, 2, 1, 0]
    """
    index = np.arange(-pad, size + pad)
    period = 2 * (size - 1) if size > 1 else 1
    index = np.abs(index) % period
    return np.where(index >= size, period - index, index)


def correlated(images: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Every channel of every image correlated with a square ``kernel`` (reflect-101
    border), by real FFTs over the batch on all cores."""
    import scipy.fft

    height, width = images.shape[1:3]
    half = kernel.shape[0] // 2
    rows, cols = reflect_101(height, half), reflect_101(width, half)
    padded = images.transpose(0, 3, 1, 2)[:, :, rows][:, :, :, cols].astype(np.float32)
    shape = (scipy.fft.next_fast_len(len(rows)), scipy.fft.next_fast_len(len(cols)))
    spectrum = scipy.fft.rfft2(padded, s=shape, workers=-1)
    spectrum *= scipy.fft.rfft2(kernel[::-1, ::-1].astype(np.float32), s=shape)
    full = scipy.fft.irfft2(spectrum, s=shape, workers=-1)
    size = kernel.shape[0] - 1
    valid = full[:, :, size : size + height, size : size + width]
    return np.ascontiguousarray(valid.transpose(0, 2, 3, 1))
