"""The ``imagecorruptions`` package (Hendrycks & Dietterich's reference code), importable on
current libraries: it needs ``pkg_resources`` (only for its frost images, unused here),
scikit-image's removed ``multichannel`` argument and numpy's removed ``np.float_``. The shims
change no arithmetic."""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import skimage.filters


def _gaussian(image: Any, sigma: Any = 1, multichannel: bool | None = None, **kw: Any) -> Any:
    if multichannel:
        kw["channel_axis"] = -1
    return skimage.filters.gaussian(image, sigma=sigma, **kw)


def reference() -> types.ModuleType:
    """``imagecorruptions.corruptions``, shimmed."""
    if "pkg_resources" not in sys.modules:
        try:
            import pkg_resources  # noqa: F401
        except ImportError:
            stub = types.ModuleType("pkg_resources")
            stub.resource_filename = lambda package, name: name  # type: ignore[attr-defined]
            sys.modules["pkg_resources"] = stub
    import imagecorruptions.corruptions as corruptions

    corruptions.gaussian = _gaussian  # type: ignore[attr-defined]
    if not hasattr(np, "float_"):
        np.float_ = np.float64  # type: ignore[attr-defined]
    return corruptions


def sample_crops(side: int = 32, step: int = 61) -> np.ndarray:
    """N×side×side×3 uint8 crops of scikit-learn's two bundled photographs."""
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    crops = [
        photo[y : y + side, x : x + side]
        for photo in photos
        for y in range(0, photo.shape[0] - side, step)
        for x in range(0, photo.shape[1] - side, step + 22)
    ]
    return np.stack(crops)
