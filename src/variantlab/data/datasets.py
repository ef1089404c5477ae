"""The real datasets: where their files are, whether they are the right files, and loading them.

Files are verified by the MD5 of their *decompressed* content (see shared/data/README.md:
Debian recompressed FashionMNIST, so the .gz checksums differ while the bytes inside do not),
which also accepts the uncompressed copies torchvision leaves in <root>/<Dataset>/raw/.
"""

import hashlib
import io
import math
import os
import pickle
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from variantlab.errors import UserError
from variantlab.exam.catalog import CIFAR_FILES, IDX_FILES, SPECS, DatasetSpec

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


@dataclass
class Split:
    images: torch.Tensor  # uint8, (N, C, H, W)
    labels: torch.Tensor  # int64, (N,)


@dataclass
class Dataset:
    key: str
    train: Split
    test: Split
    class_names: tuple[str, ...]
    source: str  # where the files were found, in words


def spec_of(key: str) -> DatasetSpec:
    if key not in SPECS:
        raise UserError(f"dataset {key!r} is not one of: {', '.join(SPECS)}")
    return SPECS[key]


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "variantlab"


# The largest file of any dataset decompresses to 47 MB (MNIST's training images): a gzip file that
# would inflate past this is refused before it fills the memory (a gzip bomb).
MAX_CONTENT = 64 * 2**20


def read_content(path: Path) -> bytes:
    """A file's bytes, decompressed when it is gzip, at most MAX_CONTENT of them."""
    if path.stat().st_size > MAX_CONTENT:
        raise UserError(f"{path}: {path.stat().st_size} bytes, more than any dataset file ({MAX_CONTENT})")
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data
    parts, size = [], 0
    while data:  # a gzip file may hold several members, one after another
        inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            part = inflate.decompress(data, MAX_CONTENT + 1 - size)
        except zlib.error as e:
            raise UserError(f"{path}: not a readable gzip file ({e})") from None
        size += len(part)
        if size > MAX_CONTENT:
            raise UserError(f"{path}: decompresses to more than {MAX_CONTENT} bytes, more than any dataset file")
        if not inflate.eof:
            raise UserError(f"{path}: not a readable gzip file (truncated)")
        parts.append(part)
        data = inflate.unused_data
    return b"".join(parts)


def find_files(spec: DatasetSpec, folder: Path) -> dict[str, Path] | None:
    """The dataset's files in `folder` or one of its usual sub-folders (plain or .gz), or None."""
    for candidate in (folder, *(folder / sub for sub in spec.folder_names)):
        found = {}
        for name in spec.checksums:
            for path in (candidate / name, candidate / f"{name}.gz"):
                if path.is_file():
                    found[name] = path
                    break
        if len(found) == len(spec.checksums):
            return found
    return None


def parse_idx(content: bytes, path: Path) -> np.ndarray:
    """An IDX array of unsigned bytes (the MNIST format): magic 0x0000_08_0D, D big-endian sizes, data."""
    if len(content) < 4 or content[:3] != b"\x00\x00\x08" or not 1 <= content[3] <= 4:
        raise UserError(f"{path}: wrong magic number {content[:4].hex()!r}, not an IDX file of unsigned bytes")
    ndim = content[3]
    header = 4 + 4 * ndim
    if len(content) < header:
        raise UserError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + math.prod(shape)
    if len(content) != expected:
        raise UserError(f"{path}: {len(content)} bytes, but its header {shape} needs {expected} (truncated?)")
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(shape)


class ArraysOnly(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays and nothing else: a pickle that names any other
    callable (the way a malicious file runs code) is refused."""

    ALLOWED: ClassVar = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a dataset file")
        return super().find_class(module, name)


def parse_cifar_batch(content: bytes, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch of the CIFAR-10 python format: a pickled dict with b'data' (N x 3072) and b'labels'."""
    try:
        batch = ArraysOnly(io.BytesIO(content), encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except Exception as e:  # any unpickling failure means the same thing to the user: a bad file
        raise UserError(f"{path}: not a CIFAR-10 python batch ({type(e).__name__}: {e})") from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise UserError(f"{path}: CIFAR-10 batch of shape {data.shape} with {len(labels)} labels; "
                        "expected (N, 3072) with N labels")
    return data.reshape(-1, 3, 32, 32), labels


def verified_contents(spec: DatasetSpec, files: dict[str, Path]) -> dict[str, bytes]:
    contents = {}
    for name, path in files.items():
        content = read_content(path)
        digest = hashlib.md5(content).hexdigest()
        if digest != spec.checksums[name]:
            raise UserError(f"{path}: content checksum {digest} does not match {spec.checksums[name]} "
                            f"expected for {spec.key} {name}; the file is damaged or not {spec.key}")
        contents[name] = content
    return contents


def _checked_split(spec, images, labels, count, what, path) -> Split:
    if len(images) != count or len(labels) != count:
        raise UserError(f"{path}: {len(images)} {what} images and {len(labels)} labels; {spec.key} has {count}")
    if labels.min() < 0 or labels.max() >= len(spec.class_names):
        raise UserError(f"{path}: labels outside 0..{len(spec.class_names) - 1}")
    return Split(torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64)))


def idx_splits(spec: DatasetSpec, contents: dict[str, bytes], files: dict[str, Path]) -> tuple["Split", "Split"]:
    """The MNIST format: four IDX files, training and test images and labels."""
    arrays = {n: parse_idx(contents[n], files[n]) for n in IDX_FILES}
    for n in IDX_FILES:
        if ("images" in n) != (arrays[n].ndim == 3):
            raise UserError(f"{files[n]}: an array of {arrays[n].ndim} dimensions where {n} needs "
                            f"{3 if 'images' in n else 1}")
    train = _checked_split(spec, arrays[IDX_FILES[0]][:, None], arrays[IDX_FILES[1]], spec.train_count,
                           "training", files[IDX_FILES[0]])
    test = _checked_split(spec, arrays[IDX_FILES[2]][:, None], arrays[IDX_FILES[3]], spec.test_count,
                          "test", files[IDX_FILES[2]])
    return train, test


def cifar_splits(spec: DatasetSpec, contents: dict[str, bytes], files: dict[str, Path]) -> tuple["Split", "Split"]:
    """CIFAR-10's python format: five pickled training batches and one test batch."""
    parts = [parse_cifar_batch(contents[n], files[n]) for n in CIFAR_FILES[:5]]
    train = _checked_split(spec, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                           spec.train_count, "training", files["data_batch_1"].parent)
    test_images, test_labels = parse_cifar_batch(contents["test_batch"], files["test_batch"])
    test = _checked_split(spec, test_images, test_labels, spec.test_count, "test", files["test_batch"])
    return train, test


# A dataset's file format -> the function that reads its verified files into the two splits.
FORMATS = {"idx": idx_splits, "cifar_python": cifar_splits}


def load_folder(key: str, files: dict[str, Path], source: str) -> Dataset:
    """Verify and parse a complete set of files (from find_files)."""
    spec = spec_of(key)
    train, test = FORMATS[spec.format](spec, verified_contents(spec, files), files)
    return Dataset(key, train, test, spec.class_names, source)


def import_folder(key: str, folder: Path) -> Path:
    """Verify a folder of the dataset's files and copy it into variantlab's cache, atomically."""
    spec = spec_of(key)
    files = find_files(spec, Path(folder))
    if files is None:
        raise UserError(f"{folder}: does not hold the {key} files ({', '.join(spec.checksums)}, plain or .gz)")
    load_folder(key, files, str(folder))
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    try:
        for path in files.values():
            shutil.copyfile(path, staging / path.name)
        target = root / key
        old = root / f".{key}-old"
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root / key


def _download(spec: DatasetSpec) -> Path:
    import torchvision

    downloads = cache_root() / ".downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    dataset_class = getattr(torchvision.datasets, spec.torchvision_class)
    try:
        for train in (True, False):
            dataset_class(root=str(downloads), train=train, download=True)
        return import_folder(spec.key, downloads)
    finally:
        shutil.rmtree(downloads, ignore_errors=True)  # the cache keeps the verified copy


def _download_files(spec: DatasetSpec, folder: Path) -> dict[str, Path]:
    files = find_files(spec, folder)
    if files is None:  # import_folder just verified them there: only another process could have moved them
        raise UserError(f"{folder}: the downloaded {spec.key} files are gone")
    return files


def load(key: str, data_dir: str | Path | None = None) -> Dataset:
    """Find, verify and load a dataset: --data-dir / VARIANTLAB_DATA alone when given, else the
    cache, Debian's package (FashionMNIST), then a download through torchvision."""
    spec = spec_of(key)
    explicit = data_dir or os.environ.get("VARIANTLAB_DATA")
    if explicit:
        files = find_files(spec, Path(explicit))
        if files is None:
            raise UserError(f"{explicit}: does not hold the {key} files ({', '.join(spec.checksums)}, plain or .gz, "
                            f"directly or under {' or '.join(spec.folder_names)})")
        return load_folder(key, files, f"--data-dir {explicit}")
    tried = []
    places = [("variantlab's cache", cache_root() / key)]
    if key == "fashion_mnist":
        places.append(("Debian's dataset-fashion-mnist", DEBIAN_FASHION_MNIST))
    for label, folder in places:
        files = find_files(spec, folder)
        if files is not None:
            return load_folder(key, files, f"{label} ({folder})")
        tried.append(f"{label} at {folder}: not there")
    if os.environ.get("VARIANTLAB_OFFLINE"):
        tried.append("download: skipped, VARIANTLAB_OFFLINE is set")
    else:
        try:
            folder = _download(spec)
            return load_folder(key, _download_files(spec, folder), f"downloaded by torchvision into {folder}")
        except UserError:
            raise
        except Exception as e:  # no internet shows up as many exception types; all mean "could not download"
            tried.append(f"download through torchvision: {type(e).__name__}: {e}")
    fixes = ["--data-dir DIR (a folder holding the files)", f"variantlab data import --dataset {key} DIR"]
    if key == "fashion_mnist":
        fixes.insert(0, "sudo apt-get install dataset-fashion-mnist")
    fixes.append("a machine with internet (torchvision downloads it)")
    raise UserError(f"{key} not found. Tried: {'; '.join(tried)}. Fix with one of: {'; '.join(fixes)}")


@dataclass
class ClassSubset:
    """The variant's five classes of a dataset, labelled as the model's outputs are."""

    key: str
    train: Split
    test: Split
    classes: tuple[int, ...]  # original labels of the five classes, in the variant's order
    output_names: tuple[str, ...]  # one name per model output: 5 (remapped) or all 10 (original labels)
    source: str

    @property
    def num_outputs(self) -> int:
        return len(self.output_names)

    @property
    def remapped(self) -> bool:
        return self.num_outputs == len(self.classes)

    @property
    def target_outputs(self) -> tuple[int, ...]:
        """The outputs that are ever a target: 0..4, or the five original labels."""
        return tuple(range(len(self.classes))) if self.remapped else self.classes

    def class_counts(self, split: Split) -> dict[str, int]:
        counts = torch.bincount(split.labels, minlength=self.num_outputs)
        return {self.output_names[o]: int(counts[o]) for o in self.target_outputs}


def _select(split: Split, classes: tuple[int, ...], remap: bool) -> Split:
    keep = torch.isin(split.labels, torch.tensor(classes))
    labels = split.labels[keep]
    if remap:
        lookup = torch.full((int(split.labels.max()) + 1,), -1, dtype=torch.int64)
        lookup[list(classes)] = torch.arange(len(classes))
        labels = lookup[labels]
    return Split(split.images[keep], labels)


def select_classes(dataset: Dataset, classes, remap: bool = True, train_limit: int | None = None) -> ClassSubset:
    """Keep only `classes`; with `remap`, label them 0..4 in the given order (else keep the originals)."""
    classes = tuple(int(c) for c in classes)
    bad = [c for c in classes if not 0 <= c < len(dataset.class_names)]
    if bad or len(set(classes)) != len(classes):
        raise UserError(f"classes {list(classes)} must be distinct labels in 0..{len(dataset.class_names) - 1}")
    train = _select(dataset.train, classes, remap)
    if train_limit is not None:
        train = Split(train.images[:train_limit], train.labels[:train_limit])
    names = tuple(dataset.class_names[c] for c in classes) if remap else dataset.class_names
    return ClassSubset(dataset.key, train, _select(dataset.test, classes, remap), classes, names, dataset.source)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels to float in [0, 1], the models' input."""
    return images.float().div_(255)
