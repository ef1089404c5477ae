"""Finding, verifying and loading datasets: the real ones, and small files written here."""

import dataclasses
import gzip
import hashlib
import pickle

import numpy as np
import pytest
import torch

from variantlab.data import datasets
from variantlab.data.datasets import load, select_classes, to_float
from variantlab.errors import UserError

ODD, EVEN = (1, 3, 5, 7, 9), (0, 2, 4, 6, 8)


@pytest.mark.parametrize("classes", [ODD, EVEN])
def test_real_fashion_mnist_subset(fashion_mnist, classes):
    subset = select_classes(fashion_mnist, classes)
    assert len(subset.train.labels) == 30_000 and len(subset.test.labels) == 5_000
    assert list(subset.class_counts(subset.train).values()) == [6000] * 5
    assert list(subset.class_counts(subset.test).values()) == [1000] * 5
    assert subset.train.images.dtype == torch.uint8 and subset.train.images.shape[1:] == (1, 28, 28)
    x = to_float(subset.test.images)
    assert x.dtype == torch.float32 and x.min() == 0 and x.max() == 1
    assert set(subset.train.labels.tolist()) == set(range(5))
    if classes == ODD:
        assert subset.output_names == ("Trouser", "Dress", "Sandal", "Sneaker", "Ankle boot")


def test_original_labels_kept_when_not_remapped(fashion_mnist):
    subset = select_classes(fashion_mnist, ODD, remap=False)
    assert subset.num_outputs == 10 and set(subset.test.labels.tolist()) == set(ODD)
    remapped = select_classes(fashion_mnist, ODD)
    assert torch.equal(torch.tensor(ODD)[remapped.test.labels], subset.test.labels)


@pytest.mark.parametrize("classes,train,test", [(ODD, 30_508, 5_074), (EVEN, 29_492, 4_926)])
def test_real_mnist_subset(mnist, classes, train, test):
    subset = select_classes(mnist, classes)
    assert (len(subset.train.labels), len(subset.test.labels)) == (train, test)
    counts = subset.class_counts(subset.test)
    assert sum(counts.values()) == test and len(set(counts.values())) == 5  # MNIST is not balanced
    assert subset.train.images.shape[1:] == (1, 28, 28)


def test_train_limit_keeps_the_first_images(fashion_mnist):
    full, limited = select_classes(fashion_mnist, ODD), select_classes(fashion_mnist, ODD, train_limit=500)
    assert torch.equal(limited.train.images, full.train.images[:500]) and len(limited.test.labels) == 5000


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_small_idx(folder, compress, n_train=20, n_test=10):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(n_test) % 10,
    }
    folder.mkdir(parents=True, exist_ok=True)
    sums = {}
    for name, array in arrays.items():
        content = idx_bytes(array)
        sums[name] = hashlib.md5(content).hexdigest()
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return arrays, sums


@pytest.fixture
def small_mnist(monkeypatch, tmp_path):
    """A tiny MNIST-format dataset; the spec's checksums and counts are those of these files."""
    def make(compress=True):
        arrays, sums = write_small_idx(tmp_path / "files", compress)
        monkeypatch.setitem(datasets.SPECS, "mnist",
                            dataclasses.replace(datasets.SPECS["mnist"], checksums=sums, train_count=20, test_count=10))
        return tmp_path / "files", arrays
    return make


@pytest.mark.parametrize("compress", [True, False])
def test_idx_loader_reads_what_was_written(small_mnist, compress):
    folder, arrays = small_mnist(compress)
    ds = load("mnist", folder)
    assert torch.equal(ds.train.images[:, 0], torch.from_numpy(arrays["train-images-idx3-ubyte"].astype(np.uint8)))
    assert ds.test.labels.tolist() == list(arrays["t10k-labels-idx1-ubyte"])
    assert str(folder) in ds.source


def test_torchvision_layout_is_found(small_mnist, tmp_path):
    folder, _ = small_mnist(compress=False)
    raw = tmp_path / "root" / "MNIST" / "raw"
    raw.parent.mkdir(parents=True)
    folder.rename(raw)
    assert len(load("mnist", tmp_path / "root").train.labels) == 20


@pytest.mark.parametrize("damage,fragment", [
    (lambda b: b[:-7], "truncated"),
    (lambda b: b"\x00\x00\x09\x03" + b[4:], "wrong magic number"),
    (lambda b: b[:4] + (19).to_bytes(4, "big") + b[8:16 + 19 * 784], "19 training images"),
])
def test_bad_idx_files_are_refused_by_name(small_mnist, monkeypatch, damage, fragment):
    folder, _ = small_mnist(compress=False)
    path = folder / "train-images-idx3-ubyte"
    content = damage(path.read_bytes())
    path.write_bytes(content)
    sums = dict(datasets.SPECS["mnist"].checksums, **{path.name: hashlib.md5(content).hexdigest()})
    monkeypatch.setitem(datasets.SPECS, "mnist", dataclasses.replace(datasets.SPECS["mnist"], checksums=sums))
    with pytest.raises(UserError, match=fragment) as e:
        load("mnist", folder)
    assert str(path) in str(e.value)


def test_checksum_mismatch_is_refused_by_name(small_mnist):
    folder, _ = small_mnist()
    path = folder / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[-1] ^= 1
    path.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(UserError, match="content checksum") as e:
        load("mnist", folder)
    assert str(path) in str(e.value)


def test_real_checksums_accept_debian_recompressed_files():
    """Debian's .gz bytes differ from upstream's; their content is what the table checks."""
    files = datasets.find_files(datasets.SPECS["fashion_mnist"], datasets.DEBIAN_FASHION_MNIST)
    assert files is not None, "dataset-fashion-mnist is not installed"
    assert datasets.verified_contents(datasets.SPECS["fashion_mnist"], files).keys() == set(datasets.IDX_FILES)


def test_explicit_folder_never_falls_back(tmp_path):
    with pytest.raises(UserError, match="does not hold the fashion_mnist files"):
        load("fashion_mnist", tmp_path)


def test_nothing_found_lists_what_was_tried(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("VARIANTLAB_DATA", raising=False)
    with pytest.raises(UserError) as e:
        load("cifar10")
    message = str(e.value)
    assert "variantlab's cache" in message and "VARIANTLAB_OFFLINE" in message and "--data-dir" in message


def test_import_copies_into_the_cache(small_mnist, tmp_path, monkeypatch):
    folder, _ = small_mnist()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    target = datasets.import_folder("mnist", folder)
    assert target == tmp_path / "cache" / "variantlab" / "mnist"
    assert "variantlab's cache" in load("mnist").source
    assert sorted(p.name for p in target.parent.iterdir()) == ["mnist"]  # no staging left behind


def test_import_of_a_bad_folder_leaves_the_cache_untouched(small_mnist, tmp_path, monkeypatch):
    folder, _ = small_mnist()
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01" + bytes(4)))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(UserError, match="train-labels-idx1-ubyte"):
        datasets.import_folder("mnist", folder)
    assert not (tmp_path / "cache" / "variantlab").exists() or not any((tmp_path / "cache" / "variantlab").iterdir())


def write_small_cifar(folder, per_batch=6):
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True)
    sums, written = {}, {}
    for name in datasets.CIFAR_FILES:
        batch = {b"data": rng.integers(0, 256, (per_batch, 3072)).astype(np.uint8),
                 b"labels": [int(v) for v in rng.integers(0, 10, per_batch)]}
        content = pickle.dumps(batch)
        (folder / name).write_bytes(content)
        sums[name], written[name] = hashlib.md5(content).hexdigest(), batch
    return sums, written


def test_cifar_loader_reads_python_batches(tmp_path, monkeypatch):
    folder = tmp_path / "cifar-10-batches-py"
    sums, written = write_small_cifar(folder)
    monkeypatch.setitem(datasets.SPECS, "cifar10", dataclasses.replace(
        datasets.SPECS["cifar10"], checksums=sums, train_count=30, test_count=6))
    ds = load("cifar10", tmp_path)
    assert ds.train.images.shape == (30, 3, 32, 32) and ds.test.images.shape == (6, 3, 32, 32)
    first = written["data_batch_1"][b"data"][0].reshape(3, 32, 32)
    assert np.array_equal(ds.train.images[0].numpy(), first)
    assert ds.test.labels.tolist() == written["test_batch"][b"labels"]


def test_bad_cifar_batch_is_refused_by_name(tmp_path, monkeypatch):
    folder = tmp_path / "cifar10"
    sums, _ = write_small_cifar(folder)
    (folder / "data_batch_3").write_bytes(b"not a pickle")
    sums["data_batch_3"] = hashlib.md5(b"not a pickle").hexdigest()
    monkeypatch.setitem(datasets.SPECS, "cifar10", dataclasses.replace(
        datasets.SPECS["cifar10"], checksums=sums, train_count=30, test_count=6))
    with pytest.raises(UserError, match="not a CIFAR-10 python batch") as e:
        load("cifar10", tmp_path)
    assert "data_batch_3" in str(e.value)


def test_bad_classes_are_refused(fashion_mnist):
    with pytest.raises(UserError, match=r"distinct labels in 0\.\.9"):
        select_classes(fashion_mnist, (1, 3, 5, 7, 10))


def test_every_dataset_names_a_known_format():
    assert {spec.format for spec in datasets.SPECS.values()} <= set(datasets.FORMATS)


@pytest.mark.parametrize("key", ["fashion_mnist", "mnist"])
def test_the_catalogs_images_per_class_are_the_real_datas(key, request):
    """The checker knows a variant's test-set size without the files: from these counts, checked here."""
    from variantlab.exam.catalog import SPECS

    data = request.getfixturevalue(key)
    classes = len(SPECS[key].class_names)
    assert tuple(torch.bincount(data.train.labels, minlength=classes).tolist()) == SPECS[key].train_per_class
    assert tuple(torch.bincount(data.test.labels, minlength=classes).tolist()) == SPECS[key].test_per_class
    assert SPECS[key].subset_sizes((1, 3, 5, 7, 9))[1] == int(torch.isin(data.test.labels,
                                                                          torch.tensor([1, 3, 5, 7, 9])).sum())
