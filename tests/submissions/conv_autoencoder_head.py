# Minor 1 -- Q2 only. Name: Dev Malhotra, Roll: B21ME047, DOB: 23/05/01, B.Tech
# The autoencoder and its classifier are one module: the classifier head sits on the encoder's output.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

LATENT = 64
HEAD_WIDTH = 256
EPOCHS_AE = 12

train_data = datasets.MNIST("data", train=True, download=True, transform=transforms.ToTensor())
test_data = datasets.MNIST("data", train=False, download=True, transform=transforms.ToTensor())
odd = [i for i, y in enumerate(train_data.targets) if y % 2 == 1]
train_loader = DataLoader(Subset(train_data, odd), batch_size=128, shuffle=True)


class AutoencoderWithClassifier(nn.Module):
    def __init__(self, n_classes=5):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1),   # 14x14
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),  # 7x7
            nn.ReLU(),
            nn.Conv2d(32, LATENT, 7),                   # 1x1
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(LATENT, 32, 7),
            nn.ReLU(),
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1),
            nn.ReLU(),
            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),
        )
        self.fc = nn.Linear(LATENT, HEAD_WIDTH)
        self.out = nn.Linear(HEAD_WIDTH, n_classes)

    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z)

    def classify(self, x):
        z = torch.flatten(self.encoder(x), 1)
        return self.out(F.relu(self.fc(z)))


net = AutoencoderWithClassifier()
for m in net.modules():
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.kaiming_normal_(m.weight)

# quick shape check before training
print(net(torch.randn(1, 1, 28, 28)).shape)

opt = torch.optim.Adam(net.parameters(), lr=1e-3)
mse = nn.MSELoss()
for epoch in range(EPOCHS_AE):
    for images, _ in train_loader:
        rotated = transforms.functional.rotate(images, 10)
        loss = mse(net(rotated), images)
        opt.zero_grad()
        loss.backward()
        opt.step()
