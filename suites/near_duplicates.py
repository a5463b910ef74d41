"""Near-duplicate text by word n-gram overlap: MinHash signatures of each document's
n-gram set, and an LSH band join that finds, for every document of one side, whether the
other side holds one whose n-gram sets overlap by at least a threshold (Jaccard).

Everything is vectorised over all documents at once: words are split and hashed by Arrow
and pandas, n-grams are rolling polynomial hashes of their words, and signatures use
datasketch's MinHash permutations (its ``affine32`` scheme, so a signature equals the one
``datasketch.MinHash`` makes from the same n-gram hashes) with its LSH band sizes for the
threshold. A document with fewer than ``ngram`` words is one n-gram of all its words; one
with no words has no signature and matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from assay.suites.policy_schema import NearDuplicateSpec

EMPTY = np.uint32(0xFFFFFFFF)  # a signature entry of a document without n-grams
_ROLL = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the rolling n-gram hash
_ROLL_INVERSE = np.uint64(pow(int(_ROLL), -1, 1 << 64))
# datasketch weighs spurious and missed candidates in choosing the bands; candidates are
# verified by their estimated overlap, so a miss costs more here: at a threshold of 0.8 a pair
# overlapping 0.85 is a candidate with probability 0.994 (0.686 with even weights)
LSH_WEIGHTS = (0.05, 0.95)
_SHINGLES_PER_CHUNK = 1 << 18  # n-grams permuted at once: 2^18 × 128 × 4 bytes = 128 MB


def ngram_hashes(texts: pa.Array, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The uint32 hash of every word n-gram of every text, and the text each belongs to
    (ascending). Texts are split on whitespace as given (normalise them first).

    Example:
        >>> hashes, owner = ngram_hashes(pa.array(["a b c d", "a b c", ""]), 3)
        >>> owner.tolist()
        [0, 0, 1]
        >>> bool(hashes[0] == hashes[2])  # "a b c" in both
        True
    """
    words = pc.utf8_split_whitespace(texts)
    per_text = pc.list_value_length(words).fill_null(0).to_numpy(zero_copy_only=False)
    flat = pc.list_flatten(words)
    owner = np.repeat(np.arange(len(per_text), dtype=np.int64), per_text)
    present = pc.greater(pc.utf8_length(flat), 0).to_numpy(zero_copy_only=False)
    flat, owner = flat.filter(pa.array(present)), owner[present]  # "" splits as one empty word
    lengths = np.bincount(owner, minlength=len(per_text))
    n_words = len(flat)
    if n_words == 0:
        return np.zeros(0, np.uint32), np.zeros(0, np.int64)
    encoded = pc.dictionary_encode(flat)
    vocabulary = encoded.dictionary.to_numpy(zero_copy_only=False)
    word_hashes = pd.util.hash_array(vocabulary)[encoded.indices.to_numpy()]
    ends = np.cumsum(lengths)[owner]  # one past each word's text's last word
    positions = np.arange(n_words)
    remaining = ends - positions  # words from this one to its text's end
    # each n-gram's Σ_k word[i+k]·R^k (mod 2^64), from prefix sums of word[m]·R^m: the
    # window's difference of prefixes times R^-i (R is odd, so invertible modulo 2^64)
    powers = np.cumprod(np.r_[np.uint64(1), np.full(n_words - 1, _ROLL)], dtype=np.uint64)
    inverse_powers = np.cumprod(
        np.r_[np.uint64(1), np.full(n_words - 1, _ROLL_INVERSE)], dtype=np.uint64
    )
    with np.errstate(over="ignore"):  # the hash wraps modulo 2^64 by design
        prefix = np.r_[np.uint64(0), np.cumsum(word_hashes * powers, dtype=np.uint64)]
        stop = np.minimum(positions + n, ends)
        rolled = (prefix[stop] - prefix[positions]) * inverse_powers
    starts = ends - lengths[owner]
    kept = (remaining >= n) | ((positions == starts) & (lengths[owner] < n))
    folded = (rolled ^ (rolled >> np.uint64(32))).astype(np.uint32)
    return folded[kept], owner[kept]


def fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (datasketch mixes each input hash with it)."""
    h = values.astype(np.uint32)
    with np.errstate(over="ignore"):
        h ^= h >> np.uint32(16)
        h *= np.uint32(0x85EBCA6B)
        h ^= h >> np.uint32(13)
        h *= np.uint32(0xC2B2AE35)
        h ^= h >> np.uint32(16)
    return h


def permutations(spec: NearDuplicateSpec) -> np.ndarray:
    """datasketch's affine permutations (2 × num_perm uint32: a, b) for the spec's seed."""
    from datasketch import MinHash  # imported only when near duplicates are looked for

    found = MinHash(num_perm=spec.num_perm, seed=spec.seed, scheme="affine32").permutations
    return np.asarray(found, dtype=np.uint32)


def signatures(texts: pa.Array, spec: NearDuplicateSpec) -> np.ndarray:
    """Each text's MinHash signature of its n-gram set (N × num_perm uint32; all
    :data:`EMPTY` for a text without words).

    Example:
        >>> spec = NearDuplicateSpec(ngram=2, num_perm=16)
        >>> sig = signatures(pa.array(["the cat sat", "the cat sat", "dogs run far"]), spec)
        >>> bool((sig[0] == sig[1]).all()), float((sig[0] == sig[2]).mean()) < 0.5
        (True, True)
    """
    hashes, owner = ngram_hashes(texts, spec.ngram)
    a, b = permutations(spec)
    out = np.full((len(texts), spec.num_perm), EMPTY, np.uint32)
    mixed = fmix32(hashes)
    for start in range(0, len(mixed), _SHINGLES_PER_CHUNK):
        chunk = slice(start, start + _SHINGLES_PER_CHUNK)
        part, whose = mixed[chunk], owner[chunk]
        with np.errstate(over="ignore"):  # permutations × n-grams: each row contiguous
            permuted = a[:, None] * part[None, :] + b[:, None]
        firsts = np.flatnonzero(np.r_[True, whose[1:] != whose[:-1]])
        minima = np.minimum.reduceat(permuted, firsts, axis=1).T
        docs = whose[firsts]  # a text split across chunks takes the smaller of both
        out[docs] = np.minimum(out[docs], minima)
    return out


def band_sizes(spec: NearDuplicateSpec) -> tuple[int, int]:
    """datasketch's LSH bands and rows per band for the threshold (least weighted error of
    spurious and missed candidates, weighed by :data:`LSH_WEIGHTS`)."""
    return _band_sizes(spec.threshold, spec.num_perm)


@lru_cache(maxsize=32)
def _band_sizes(threshold: float, num_perm: int) -> tuple[int, int]:
    # datasketch integrates both error rates for every split of the permutations: 0.7 s at
    # 128, so once per setting, not once per evaluation set and training source
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return int(lsh.b), int(lsh.r)


def band_keys(signature: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """A uint64 key per document and band (N × bands): equal where the band's rows are."""
    keys = np.zeros((signature.shape[0], bands), np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            power = np.uint64(band + 1)  # a band's key differs from another band's
            for column in signature[:, band * rows : (band + 1) * rows].T:
                keys[:, band] += column.astype(np.uint64) * power
                power *= _ROLL
    return keys


@dataclass
class NearDuplicateIndex:
    """One side's signatures, queried with batches of the other side's: ``found`` marks the
    documents that some queried document overlaps by at least the threshold.

    Example:
        >>> spec = NearDuplicateSpec(ngram=2, threshold=0.5, num_perm=64)
        >>> index = NearDuplicateIndex.of(pa.array(["a b c d e", "x y z"]), spec)
        >>> index.query(signatures(pa.array(["a b c d e f"]), spec))
        >>> index.found.tolist()
        [True, False]
    """

    signature: np.ndarray
    keys: np.ndarray
    threshold: float
    bands: int
    rows: int
    found: np.ndarray
    has_words: np.ndarray  # a document without words has no signature and matches nothing

    @classmethod
    def of(cls, texts: pa.Array, spec: NearDuplicateSpec) -> NearDuplicateIndex:
        signature = signatures(texts, spec)
        bands, rows = band_sizes(spec)
        found = np.zeros(len(texts), bool)
        keys = band_keys(signature, bands, rows)
        has_words = (signature != EMPTY).any(axis=1)
        return cls(signature, keys, spec.threshold, bands, rows, found, has_words)

    def query(self, other: np.ndarray) -> None:
        """Mark the indexed documents that a document of ``other`` (signatures) overlaps."""
        other = _distinct_rows(other[(other != EMPTY).any(axis=1)])
        if not len(other):
            return
        other_keys = band_keys(other, self.bands, self.rows)
        for band in range(self.bands):
            open_rows = np.flatnonzero(~self.found & self.has_words)
            if not len(open_rows):
                return
            pairs = pd.DataFrame({"key": self.keys[open_rows, band], "mine": open_rows}).merge(
                pd.DataFrame({"key": other_keys[:, band], "theirs": np.arange(len(other))}),
                on="key",
            )
            if len(pairs):
                self._verify(pairs["mine"].to_numpy(), pairs["theirs"].to_numpy(), other)

    def _verify(self, mine: np.ndarray, theirs: np.ndarray, other: np.ndarray) -> None:
        """Keep the candidate pairs whose estimated Jaccard reaches the threshold."""
        step = max(1, (1 << 24) // self.signature.shape[1])  # 16 MB of comparisons at once
        for start in range(0, len(mine), step):
            a, b = mine[start : start + step], theirs[start : start + step]
            overlap = (self.signature[a] == other[b]).mean(axis=1)
            self.found[a[overlap >= self.threshold]] = True


def _distinct_rows(signature: np.ndarray) -> np.ndarray:
    """The signatures without repeats (copies of one text are one query)."""
    if len(signature) < 2:
        return signature
    digest = pd.util.hash_pandas_object(pd.DataFrame(signature), index=False).to_numpy()
    _, first = np.unique(digest, return_index=True)
    return signature[np.sort(first)]
