"""Device-resident batching: the data sits on the device once; a batch is an index gather.

No DataLoader, no worker processes, no per-sample Python: an epoch is one seeded `randperm`
on the device, and each batch is converted to float and augmented there.
"""

import torch

from variantlab.data.augment import Augmentation, augment_online
from variantlab.data.datasets import to_float


class DeviceBatches:
    """Yields (inputs, clean_inputs, labels) for one epoch per iteration, every sample exactly once.

    `images` are uint8 (converted per batch) or already float (the static expansion). With
    `augmentation`, every batch is drawn afresh (the online regime); `clean_inputs` is then the
    batch before noise, otherwise the inputs themselves.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, generator: torch.Generator,
                 augmentation: Augmentation | None = None, shuffle: bool = True):
        self.images, self.labels = images, labels
        self.batch_size, self.generator = batch_size, generator
        self.augmentation, self.shuffle = augmentation, shuffle

    def __len__(self) -> int:
        return -(-len(self.images) // self.batch_size)

    def __iter__(self):
        n = len(self.images)
        device = self.images.device
        order = (torch.randperm(n, device=device, generator=self.generator) if self.shuffle
                 else torch.arange(n, device=device))
        for start in range(0, n, self.batch_size):
            index = order[start:start + self.batch_size]
            x = self.images[index]
            if x.dtype == torch.uint8:
                x = to_float(x)
            if self.augmentation is None:
                yield x, x, self.labels[index]
            else:
                noisy, clean = augment_online(x, self.augmentation, self.generator)
                yield noisy, clean, self.labels[index]
