"""One run: what it keeps of the training split for the data-size study."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from bindreg.core.errors import BindregError
from bindreg.experiment.runs import subsample_training


def _dataset(n_train=80, n_test=20):
    split = np.array(["train"] * n_train + ["valid"] * 10 + ["test"] * n_test)
    return xr.Dataset({"split": (("sample",), split)}, attrs={"dataset": "toy"})


def test_only_the_pool_is_subsampled_and_the_test_split_is_untouched():
    kept = subsample_training(_dataset(), 30, seed=1)["split"].values
    assert (kept == "train").sum() == 30 and (kept == "unused").sum() == 50
    assert (kept == "test").sum() == 20 and (kept == "valid").sum() == 10
    again = subsample_training(_dataset(), 30, seed=1)["split"].values
    assert (kept == again).all() and subsample_training(_dataset(), None, seed=1)["split"].shape == (110,)


def test_a_size_not_below_the_pool_is_one_line():
    with pytest.raises(BindregError, match="--train-size 80 is not below the 80 training sequences of toy"):
        subsample_training(_dataset(), 80, seed=0)
