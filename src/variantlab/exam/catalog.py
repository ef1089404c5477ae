"""What variantlab knows of each dataset without its files: the content checksums its files are verified
by, the number and shape of its images, its class names and how many images each class has. Light to
import (no torch), so the submission checker knows a variant's test-set size without loading anything."""

from dataclasses import dataclass

IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
CIFAR_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch")


@dataclass(frozen=True)
class DatasetSpec:
    key: str
    checksums: dict  # file name -> MD5 of its decompressed bytes
    train_count: int
    test_count: int
    image_shape: tuple[int, int, int]  # channels, height, width
    class_names: tuple[str, ...]
    torchvision_class: str  # the torchvision.datasets class that downloads it
    folder_names: tuple[str, ...]  # sub-folders a download or a copy may put the files in
    format: str  # a key of FORMATS
    train_per_class: tuple[int, ...]  # images of each class: what a class subset holds, known without the files
    test_per_class: tuple[int, ...]

    def subset_sizes(self, classes) -> tuple[int, int]:
        """(training, test) images of these classes."""
        return sum(self.train_per_class[c] for c in classes), sum(self.test_per_class[c] for c in classes)


SPECS = {
    "fashion_mnist": DatasetSpec(
        "fashion_mnist",
        dict(zip(IDX_FILES, ("f4a8712d7a061bf5bd6d2ca38dc4d50a", "9018921c3c673c538a1fc5bad174d6f9",
                             "8181f5470baa50b63fa0f6fddb340f0a", "15d484375f8d13e6eb1aabb0c3f46965"), strict=True)),
        60_000, 10_000, (1, 28, 28),
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        "FashionMNIST", ("fashion_mnist", "FashionMNIST/raw"), "idx", (6000,) * 10, (1000,) * 10),
    "mnist": DatasetSpec(
        "mnist",
        dict(zip(IDX_FILES, ("6bbc9ace898e44ae57da46a324031adb", "a25bea736e30d166cdddb491f175f624",
                             "2646ac647ad5339dbf082846283269ea", "27ae3e4e09519cfbb04c329615203637"), strict=True)),
        60_000, 10_000, (1, 28, 28),
        ("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
         "8 - eight", "9 - nine"),
        "MNIST", ("mnist", "MNIST/raw"), "idx", (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
        (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)),
    "cifar10": DatasetSpec(
        "cifar10",
        dict(zip(CIFAR_FILES, ("c99cafc152244af753f735de768cd75f", "d4bba439e000b95fd0a9bffe97cbabec",
                               "54ebc095f3ab1f0389bbae665268c751", "634d18415352ddfa80567beed471001a",
                               "482c414d41f54cd18b22e5b47cb7c3cb", "40351d587109b95175f43aff81a1287e"), strict=True)),
        50_000, 10_000, (3, 32, 32),
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        "CIFAR10", ("cifar10", "cifar-10-batches-py", "cifar10/cifar-10-batches-py"), "cifar_python", (5000,) * 10,
        (1000,) * 10),
}
