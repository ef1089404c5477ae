"""Shared fixtures: the real datasets, loaded once per test session.

Where a dataset cannot be had offline (a bare clone with no ../shared beside it, no Debian package),
the tests that need it skip and say how to provide it; CI has both and skips nothing."""

import os

import pytest

from variantlab.errors import UserError

# Tests never reach for the internet: a missing dataset must fail fast with its message.
os.environ["VARIANTLAB_OFFLINE"] = "1"

HOW_TO_GET = {
    "fashion_mnist": "install Debian's dataset-fashion-mnist (make test does, as root), or "
                     "`variantlab data import --dataset fashion_mnist DIR`",
    "mnist": "put the project's shared data beside the clone (../shared/data/mnist, which make test imports), "
             "or `variantlab data import --dataset mnist DIR`",
}


def real_dataset(key: str):
    from variantlab.data.datasets import load

    try:
        return load(key)
    except UserError as e:
        if "not found" not in str(e):
            raise
        pytest.skip(f"needs the real {key} dataset, not available offline here: {HOW_TO_GET[key]}")


@pytest.fixture(scope="session")
def fashion_mnist():
    return real_dataset("fashion_mnist")


@pytest.fixture(scope="session")
def mnist():
    return real_dataset("mnist")
