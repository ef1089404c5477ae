"""Minor 1 (Colab export). Rahul Verma, roll B20EE126, born 12/06/00, B.Tech."""
import torch
from torch import nn
from torchvision import datasets, transforms

train = datasets.FashionMNIST("data", train=True, download=True, transform=transforms.ToTensor())
CLASSES = [0, 2, 4, 6, 8]
keep = [i for i, t in enumerate(train.targets) if t in CLASSES]

def augment(x):
    return torch.flip(x, [3]) + 0.05 * torch.rand_like(x)

class FashionNet(nn.Module):
    def __init__(self, filters=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, filters, 3, padding=1), nn.ReLU(),
            nn.Conv2d(filters, 20, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(20, 40, 3, padding=1), nn.ReLU(),
            nn.Conv2d(40, 64, 3, padding=1), nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(64 * 14 * 14, 512), nn.ReLU(), nn.Linear(512, 5))

    def forward(self, x):
        return self.classifier(self.features(x))

model = FashionNet()
for layer in model.modules():
    if isinstance(layer, nn.Conv2d):
        nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
