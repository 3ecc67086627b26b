"""One-hot encoding and dinucleotide shuffling."""

from __future__ import annotations

from collections import Counter

import numpy as np

from bindreg.data.negatives import dinucleotide_shuffle
from bindreg.core.sequences import decode, one_hot


def test_one_hot_layout_and_round_trip():
    encoded = one_hot(["ACGTN", "acgtn"])
    assert encoded.shape == (2, 4, 5) and encoded.dtype == np.uint8
    assert encoded[0, :, 0].tolist() == [1, 0, 0, 0] and encoded[0, :, 4].tolist() == [0, 0, 0, 0]
    assert decode(encoded) == ["ACGTN", "ACGTN"]


def _dinucleotides(seq: str) -> Counter:
    return Counter(seq[i:i + 2] for i in range(len(seq) - 1))


def test_dinucleotide_shuffle_keeps_counts_including_n():
    rng = np.random.default_rng(0)
    sequences = ["".join(rng.choice(list("ACGT"), 101)) for _ in range(50)] + ["ACGT" * 10 + "N" * 21 + "TGCA" * 10]
    shuffled = dinucleotide_shuffle(sequences, np.random.default_rng(1))
    assert all(_dinucleotides(a) == _dinucleotides(b) for a, b in zip(sequences, shuffled))
    assert sum(a != b for a, b in zip(sequences, shuffled)) >= 49
    again = dinucleotide_shuffle(sequences, np.random.default_rng(1))
    assert again == shuffled  # seeded


def test_reverse_complement_is_one_rule_for_text_numpy_and_mxnet():
    from mxnet import nd

    from bindreg.core.sequences import one_hot, reverse_complement

    x = one_hot(["ACGTN", "AACCG"])[:, :, None, :].astype(np.float32)  # (n, 4, 1, L)
    expected = one_hot([reverse_complement("ACGTN"), reverse_complement("AACCG")])[:, :, None, :]
    assert reverse_complement("ACGTN") == "NACGT"
    assert np.array_equal(reverse_complement(x), expected)
    assert np.array_equal(reverse_complement(nd.array(x)).asnumpy(), expected)
    assert np.array_equal(reverse_complement(x[:, :, 0, :], bases=1, positions=2), expected[:, :, 0, :])


def test_over_strands_is_the_mean_of_both_strands_only_when_asked():
    from bindreg.core.sequences import one_hot, over_strands

    x = one_hot(["AAAC"]).astype(np.float32)[:, :, None, :]
    first_base_is_a = lambda batch: batch[:, 0, 0, 0]  # noqa: E731 - 1 for AAAC, 0 for its reverse GTTT
    assert over_strands(first_base_is_a, x, False)[0] == 1
    assert over_strands(first_base_is_a, x, True)[0] == 0.5
