"""Shared fixtures: the real datasets, loaded once per test session."""

import os

import pytest

# Tests never reach for the internet: a missing dataset must fail fast with its message.
os.environ["VARIANTLAB_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def fashion_mnist():
    from variantlab.datasets import load

    return load("fashion_mnist")


@pytest.fixture(scope="session")
def mnist():
    from variantlab.datasets import load

    return load("mnist")
