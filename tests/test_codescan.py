"""The code reader on its own: what codescan.scan reads from code written as students write it, each rule
with the code that once fooled it (a shape check taken for noise, a saved model taken for a dataset), and
the hyperparameters codescan.hyperparameters reads for each network."""

import textwrap
import time
from pathlib import Path

import pytest

import variantlab.check.codeparse
from variantlab.check import codescan
from variantlab.check.grading import fingerprint
from variantlab.check.submission import Piece, read_submission, script_pieces

HERE = Path(__file__).resolve().parent


def cells(*sources: str) -> list[Piece]:
    return [Piece("code", textwrap.dedent(s), "nb.ipynb", f"cell {i}") for i, s in enumerate(sources, start=1)]


def scanned(*sources: str) -> dict[str, list[codescan.Found]]:
    return codescan.scan(cells(*sources))[0]


def values(found: dict, aspect: str) -> list:
    return [f.value for f in found.get(aspect, [])]


# The readings every submission relies on

def test_magics_and_typos_cost_their_lines_only():
    found = scanned("""
        %matplotlib inline
        !pip install torchvision
        import torch, torchvision
        train = torchvision.datasets.FashionMNIST('data', train=True, download=True)
        print("loaded" len(train))
        conv = torch.nn.Conv2d(1, 10, 3)
        pool = torch.nn.MaxPool2d(2)
        """)
    assert values(found, "dataset") == ["fashion_mnist"]
    assert values(found, "pool") == ["max"]


def test_constants_and_argument_defaults_are_resolved():
    found = scanned("""
        FIRST = 12
        WIDTH = 2 * 256

        class Net(nn.Module):
            def __init__(self, second=24, hidden=WIDTH):
                super().__init__()
                self.c1 = nn.Conv2d(3, FIRST, 3)
                self.c2 = nn.Conv2d(FIRST, second, 3)
                self.fc = nn.Linear(second * 6 * 6, hidden)
                self.out = nn.Linear(hidden, 5)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.c2(F.relu(self.c1(x)))), 2)
                return self.out(F.relu(self.fc(x.flatten(1))))
        """)
    assert values(found, "first_filters") == [12]
    assert values(found, "fc_nodes") == [512]
    assert values(found, "conv_layers") == [2] and values(found, "pool_layers") == [1]


def test_module_lists_built_in_loops_count_each_layer():
    found = scanned("""
        class ConvNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.convs = nn.ModuleList()
                channels = 1
                for width in [8, 16, 32, 64, 64]:
                    self.convs.append(nn.Conv2d(channels, width, 3, padding=1))
                    channels = width
                self.pools = nn.ModuleList([nn.AvgPool2d(2) for _ in range(2)])
                self.fc = nn.Linear(64 * 7 * 7, 256)
                self.out = nn.Linear(256, 5)

            def forward(self, x):
                for i, conv in enumerate(self.convs):
                    x = F.relu(conv(x))
                for pool in self.pools:
                    x = pool(x)
                return self.out(F.relu(self.fc(torch.flatten(x, 1))))
        """)
    assert values(found, "conv_layers") == [5] and values(found, "pool_layers") == [2]
    assert values(found, "first_filters") == [8] and values(found, "pool") == ["avg"]


def test_a_keras_model_added_to_across_cells_is_one_model():
    found = scanned(
        "from tensorflow.keras import layers, models\ncnn = models.Sequential()\n"
        "cnn.add(layers.Conv2D(10, (5, 5), activation='relu', input_shape=(28, 28, 1)))",
        "cnn.add(layers.Conv2D(20, (5, 5), activation='relu'))\ncnn.add(layers.MaxPooling2D((2, 2)))",
        "cnn.add(layers.Flatten())\ncnn.add(layers.Dense(256, activation='relu'))\ncnn.add(layers.Dense(5))")
    assert [values(found, a) for a in ("conv_layers", "pool_layers", "first_filters", "fc_nodes")] == [
        [2], [1], [10], [256]]


def test_functional_pools_are_counted_where_forward_applies_them():
    found = scanned("""
        class CNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
                self.conv3 = nn.Conv2d(16, 32, 3, padding=1)
                self.fc1 = nn.Linear(32 * 7 * 7, 256)
                self.fc2 = nn.Linear(256, 5)

            def forward(self, x):
                x = F.avg_pool2d(F.relu(self.conv1(x)), 2)
                x = F.relu(self.conv2(x))
                x = F.avg_pool2d(F.relu(self.conv3(x)), 2)
                return self.fc2(F.relu(self.fc1(x.view(-1, 32 * 7 * 7))))
        """)
    assert values(found, "pool") == ["avg"] and values(found, "pool_layers") == [2]
    assert values(found, "conv_layers") == [3] and values(found, "fc_nodes") == [256]


def test_hostile_code_is_bounded_in_time():
    hostile = [
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.c = nn.ModuleList([nn.Conv2d(1, 8, 3) for _ in range(999_999)])\n"
        "    def forward(self, x):\n        for c in self.c:\n            x = c(x)\n        return x",
        "lr = " + "*".join(["10"] * 250),  # deeper than the number reader recurses
        "x = 2\n" + "\n".join(f"x{i} = x * x" for i in range(200)),
        "\n".join(f"def f{i}():\n    f{i + 1}()" for i in range(3000)) + "\ndef f3000():\n    loss.backward()",
        "for epoch in range(10**15):\n    optimizer = optim.SGD(model.parameters(), lr=" + "+".join(["1"] * 250) + ")\n"
        "    optimizer.step()",
        # expressions nested past Python's recursion, where noise, classes and a forward pass are read
        "noisy = images + " + " + ".join(["torch.randn_like(images)"] * 2000),
        "mask = " + " | ".join(f"(y == {i % 10})" for i in range(2000)),
        "class Deep(nn.Module):\n    def forward(self, x):\n        return self.c(x) + " + " + ".join(["x"] * 2000),
        "f = torch" + ".a" * 2000 + "(x)",
    ]
    started = time.perf_counter()
    found, unparsed = codescan.scan(cells(*hostile))
    codescan.hyperparameters(cells(*hostile))
    assert time.perf_counter() - started < 20  # about a second on the project's 2-core EPYC
    assert values(found, "conv_layers") == [64] and not unparsed  # a loop of a million counts as far as a net could


# Every value the code builds, each with its evidence

def test_training_on_one_dataset_and_testing_on_another_shows_both():
    found = scanned("""
        train_set = datasets.MNIST('./data', train=True, download=True, transform=transforms.ToTensor())
        test_set = datasets.FashionMNIST('./data', train=False, download=True, transform=transforms.ToTensor())
        """)
    assert [(f.value, f.role) for f in found["dataset"]] == [("mnist", "train"), ("fashion_mnist", "test")]
    assert found["dataset"][1].where == "nb.ipynb, cell 1, line 3" and "FashionMNIST" in found["dataset"][1].excerpt


def test_two_initialisations_are_both_reported():
    found = scanned("""
        def init_weights(m):
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
            elif isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
        """)
    assert sorted(values(found, "init")) == ["he", "xavier"]


def test_two_kinds_of_pooling_are_both_reported():
    found = scanned("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.c1 = nn.Conv2d(1, 8, 3)
                self.c2 = nn.Conv2d(8, 16, 3)
                self.fc = nn.Linear(16 * 5 * 5, 5)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.c1(x)), 2)
                x = F.avg_pool2d(F.relu(self.c2(x)), 2)
                return self.fc(x.flatten(1))
        """)
    assert values(found, "pool") == ["max", "avg"] and found["pool"][1].where == "nb.ipynb, cell 1, line 11"


def test_two_class_lists_are_both_reported():
    found = scanned("""
        target_classes = [1, 3, 5, 7, 9]
        train_idx = np.isin(y_train, [0, 2, 4, 6, 8])
        """)
    assert values(found, "classes") == [[1, 3, 5, 7, 9], [0, 2, 4, 6, 8]]


# A dataset counts where it is loaded as data

@pytest.mark.parametrize("code,expected", [
    ("x = torchvision.datasets.FashionMNIST(root='data', download=True)", [("fashion_mnist", "train")]),
    ("cifar = datasets.CIFAR10('data', False, download=True)", [("cifar10", "test")]),
    ("(x_tr, y_tr), (x_te, y_te) = tf.keras.datasets.fashion_mnist.load_data()", [("fashion_mnist", "")]),
    ("from keras.datasets import mnist\n(x_tr, y_tr), (x_te, y_te) = mnist.load_data()", [("mnist", "")]),
    ("from torchvision.datasets import FashionMNIST as FM\ntest = FM('.', train=False)", [("fashion_mnist", "test")]),
    ("ds = load_dataset('zalando-datasets/fashion_mnist', split='test')", [("fashion_mnist", "test")]),
    ("X, y = fetch_openml('mnist_784', version=1, return_X_y=True)", [("mnist", "")]),
    ("df = pd.read_csv('/kaggle/input/fashionmnist/fashion-mnist_train.csv')", [("fashion_mnist", "train")]),
    ("imgs = read_idx(os.path.join('data', 'MNIST', 'raw', 't10k-images-idx3-ubyte'))", [("mnist", "test")]),
    ("ds = tfds.load('mnist', split='train', as_supervised=True)", [("mnist", "train")]),
    ("TRAIN_CSV = r'C:\\data\\fashion-mnist_train.csv'\ndf = pd.read_csv(TRAIN_CSV)", [("fashion_mnist", "train")]),
    ("class FashionFiles(Dataset):\n    url = 'http://fashion-mnist.example.org/t10k-images-idx3-ubyte.gz'\n"
     "test_data = FashionFiles('./data', train=False)", [("fashion_mnist", "test")]),
])
def test_data_loaded_counts_with_its_split(code, expected):
    assert [(f.value, f.role) for f in scanned(code).get("dataset", [])] == expected


@pytest.mark.parametrize("code", [
    "model.load_state_dict(torch.load('mnist_cnn.pt'))",  # a saved model named for its data
    "net = torch.load('fashion_mnist_model.pth', map_location='cpu')",
    "model = keras.models.load_model('mnist_cnn.h5')",
    "from torchvision.datasets import MNIST",  # imported, never loaded
    "assert isinstance(train_set, torchvision.datasets.FashionMNIST)",
    "kmnist = datasets.KMNIST('data', download=True)",
    "open('mnist_results.txt', 'w').write(str(acc))",
])
def test_what_is_not_data_loading_is_no_dataset(code):
    assert "dataset" not in scanned(code)


# Noise counts where it is added to the training images

ROTATION = "transform = transforms.Compose([transforms.RandomRotation(10), transforms.ToTensor()])\n"


@pytest.mark.parametrize("noise", [
    "noise = torch.randn_like(images) * 0.1\nnoisy = images + noise",
    "def add_noise(x, std=0.1):\n    return (x + torch.randn_like(x) * std).clamp(0, 1)",
    "x_train_noisy = np.clip(x_train + 0.2 * np.random.normal(0.0, 1.0, size=x_train.shape), 0.0, 1.0)",
    "class AddGaussianNoise:\n    def __init__(self, mean=0.0, std=0.1):\n        self.mean, self.std = mean, std\n"
    "    def __call__(self, tensor):\n        return tensor + torch.randn(tensor.size()) * self.std + self.mean",
    "noisy = transforms.Lambda(lambda img: img + 0.05 * torch.randn(img.shape))",
    "from my_transforms import AddGaussianNoise\n"
    "tf = transforms.Compose([transforms.ToTensor(), AddGaussianNoise(0., .1)])",
    "extra = x_train + torch.normal(0.0, 0.1, size=x_train.shape)\nx_train = torch.cat([x_train, extra])",
    "batch += 0.1 * torch.randn_like(batch)",
    "def gaussian(shape, std=0.1):\n    return torch.randn(shape) * std\n\ndef augment(x):\n"
    "    return x + gaussian(x.shape)",
    "for x, y in subset:\n    noisy_x = x + torch.randn(x.size()).to(device)\n    extra.append((noisy_x, y))",
])
def test_noise_added_to_images_counts(noise):
    assert values(scanned(ROTATION + noise), "augmentation") == ["rotate_gaussian_noise"]


@pytest.mark.parametrize("not_noise", [
    "print(model(torch.randn(1, 1, 28, 28)).shape)",  # a shape check
    "x = torch.randn(1, 1, 28, 28)\nout = model(x)\nprint(out.shape)",
    "self.w = nn.Parameter(torch.randn(256, 5) * 0.01)",  # a weight's init
    "def reparameterize(mu, logvar):\n    std = torch.exp(0.5 * logvar)\n    eps = torch.randn_like(std)\n"
    "    return mu + eps * std",  # a VAE's latent sample
    "z = torch.randn(16, 32)\nsamples = decoder(z)",
    "x_test_noisy = x_test + 0.3 * torch.randn_like(x_test)",  # noise on the test set, not the training images
    "angle = base_angle + random.uniform(-10, 10)",  # a random angle
])
def test_random_tensors_not_added_to_images_are_no_noise(not_noise):
    assert values(scanned(ROTATION + not_noise), "augmentation") == ["rotate without noise"]


def test_uniform_noise_is_told_from_gaussian():
    flip = "flipped = torch.flip(images, dims=[3])\n"
    assert values(scanned(flip + "aug = flipped + 0.1 * torch.rand_like(flipped)"), "augmentation") == [
        "flip_random_noise"]
    assert values(scanned(ROTATION + "aug = images + (torch.rand_like(images) - 0.5) * 0.2"), "augmentation") == [
        "rotate with uniform noise"]


def test_keras_image_generators_flip_and_rotate_by_their_settings():
    assert values(scanned("gen = ImageDataGenerator(rotation_range=10, width_shift_range=0.1)"), "augmentation") == [
        "rotate without noise"]
    settings = "params = {'rotation_range': 0, 'horizontal_flip': True}\ngen = ImageDataGenerator(**params)"
    assert values(scanned(settings), "augmentation") == ["flip without noise"]


def test_a_translation_is_no_rotation():
    shift = "transform = transforms.Compose([transforms.RandomAffine(degrees=0, translate=(0.1, 0.1))])"
    assert "augmentation" not in scanned(shift)


# Classes: all ten where the code plainly keeps them all

LOAD_AND_TRAIN = """
    train_set = datasets.MNIST('data', train=True, download=True, transform=transforms.ToTensor())
    loader = DataLoader(train_set, batch_size=64, shuffle=True)
    for epoch in range(5):
        for images, labels in loader:
            loss = criterion(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            correct += (model(images).argmax(1) == labels).sum().item()
    """


def test_no_class_selection_in_code_that_loads_and_trains_is_all_ten():
    found = scanned(LOAD_AND_TRAIN)
    assert values(found, "classes") == ["all 10 classes"]
    assert found["classes"][0].where == "nb.ipynb, cell 1, line 2" and "datasets.MNIST" in found["classes"][0].excerpt


@pytest.mark.parametrize("selection", [
    "train_set = Subset(train_set, [i for i, t in enumerate(train_set.targets) if t < 5])",
    "train_set.data = train_set.data[train_set.targets < 5]",
    "keep = [0, 1, 2, 3]\nmask = [t in keep for t in train_set.targets]",
    "idx = (train_set.targets == 0) | (train_set.targets == 8)",
    "picked = [i for i in range(len(train_set)) if train_set[i][1] in wanted_classes]",
    "for c in range(0, 10, 3):\n    parts.append(np.where(y_train == c)[0])",
    "df = df[df['label'] < 5]",
    "pairs = [p for p in pairs if hash(p[0]) % 2 == 0]",
])
def test_a_selection_the_reader_cannot_name_is_not_all_ten(selection):
    assert "classes" not in scanned(LOAD_AND_TRAIN, selection)


@pytest.mark.parametrize("five", [
    "model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 5))",
    "NUM_CLASSES = 5",
    "y_train = keras.utils.to_categorical(y_train, 5)",
])
def test_code_that_counts_fewer_than_ten_classes_is_not_all_ten(five):
    """The data may hold five classes already (a course's own CSV files): the code's own count says so."""
    assert "classes" not in scanned(LOAD_AND_TRAIN, five)


def test_code_without_data_or_training_says_nothing_of_classes():
    assert "classes" not in scanned("model = CNN()\nprint(model)")  # no data at all
    assert "classes" not in scanned("data = datasets.FashionMNIST('data', download=True)\nshow(data[0])")  # no training


@pytest.mark.parametrize("kept,classes", [
    ("odd = [(x, y) for x, y in train_set if y % 2]", [1, 3, 5, 7, 9]),
    ("even = [i for i in range(len(ds)) if not ds[i][1] % 2]", [0, 2, 4, 6, 8]),
    ("keep = [s for s in train_set if s[1] % 2 == 1]", [1, 3, 5, 7, 9]),
    ("mask = (df['label'] % 2) != 0", [1, 3, 5, 7, 9]),
])
def test_a_parity_filter_on_labels_is_read_in_its_forms(kept, classes):
    assert values(scanned(kept), "classes") == [classes]


def test_a_parity_test_on_something_other_than_labels_names_no_classes():
    assert "classes" not in scanned("if epoch % 2 == 0:\n    print(loss.item())")
    # With data and training, any `% 2` might select: not all ten either, the reader cannot rule it out.
    assert "classes" not in scanned(LOAD_AND_TRAIN, "if epoch % 2 == 0:\n    print(loss.item())")


# Networks: an autoencoder that holds its classifier

def test_an_autoencoder_holding_its_classifier_head_is_read_whole():
    found, _ = codescan.scan(read_submission(HERE / "submissions" / "conv_autoencoder_head.py").code)
    assert values(found, "ae_layers") == [3] and values(found, "ae_fc_nodes") == [256]
    assert "conv_layers" not in found  # no CNN: the convolutions are the encoder's
    assert values(found, "augmentation") == ["rotate without noise"]  # the shape check's randn is no noise
    assert [(f.value, f.role) for f in found["dataset"]] == [("mnist", "train"), ("mnist", "test")]


def test_a_classifier_on_the_encoder_is_found_by_what_it_holds_not_its_name():
    found = scanned(NETWORKS, """
        class EncoderWithHead(nn.Module):
            def __init__(self, encoder):
                super().__init__()
                self.encoder = encoder
                self.hidden = nn.Linear(32, 512)
                self.out = nn.Linear(512, 5)

            def forward(self, x):
                return self.out(F.relu(self.hidden(self.encoder(x))))
        """)
    assert values(found, "ae_layers") == [2] and values(found, "ae_fc_nodes") == [512]


def test_a_single_layer_wider_than_the_classes_is_the_fc_layer():
    found = scanned("""
        class CNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
                self.pool = nn.AvgPool2d(2)
                self.fc1 = nn.Linear(8 * 14 * 14, 512)  # forgot the output layer

            def forward(self, x):
                return F.relu(self.fc1(torch.flatten(self.pool(F.relu(self.conv1(x))), 1)))
        """)
    assert values(found, "fc_nodes") == [512]


def test_scripts_of_a_folder_keep_their_own_constants():
    pieces = [Piece("code", "WIDTH = 8\nconv = nn.Conv2d(1, WIDTH, 3)\npool = nn.MaxPool2d(2)\n"
                    "class CNN(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                    "        self.c = nn.Conv2d(1, WIDTH, 3)\n        self.p = nn.MaxPool2d(2)", "q1.py", ""),
              Piece("code", "WIDTH = 64\nclass AE(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                    "        self.encoder = nn.Linear(784, WIDTH)\n        self.decoder = nn.Linear(WIDTH, 784)",
                    "q2.py", "")]
    found, _ = codescan.scan(pieces)
    assert values(found, "first_filters") == [8]


def test_an_encoder_sequential_in_an_ordered_dict_is_counted():
    found = scanned("""
        from collections import OrderedDict
        class AE(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = nn.Sequential(OrderedDict([
                    ('fc1', nn.Linear(784, 256)), ('relu1', nn.ReLU()),
                    ('fc2', nn.Linear(256, 64)), ('relu2', nn.ReLU()),
                    ('fc3', nn.Linear(64, 16)), ('fc4', nn.Linear(16, 8))]))
                self.decoder = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 784))
        """)
    assert values(found, "ae_layers") == [4]


# Hyperparameters, per network

TWO_NETWORKS = """
    BATCH = 100
    LR = 1e-3
    train_loader = DataLoader(train_set, batch_size=BATCH, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)

    def train(model, loader, optimizer, criterion, epochs=10):
        for epoch in range(epochs):
            model.train()
            for images, labels in loader:
                optimizer.zero_grad()
                loss = criterion(model(images), labels)
                loss.backward()
                optimizer.step()
            evaluate(model, test_loader)

    cnn = CNN().to(device)
    cnn_opt = torch.optim.SGD(cnn.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    train(cnn, train_loader, cnn_opt, nn.CrossEntropyLoss(), epochs=15)

    ae = AutoEncoder().to(device)
    ae_opt = optim.Adam(ae.parameters(), lr=LR)
    mse = nn.MSELoss()
    for ep in range(20):
        for images, _ in train_loader:
            loss = mse(ae(images), images)
            ae_opt.zero_grad()
            loss.backward()
            ae_opt.step()
    """
NETWORKS = """
    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 10, 3)
            self.fc = nn.Linear(10 * 26 * 26, 5)

    class AutoEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32))
            self.decoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784))
    """


def hyper(*sources: str) -> dict:
    return {network: {hp: [f.value for f in found] for hp, found in table.items()}
            for network, table in codescan.hyperparameters(cells(*sources)).items()}


def test_each_networks_hyperparameters_are_its_own():
    assert hyper(NETWORKS, TWO_NETWORKS) == {
        "cnn": {"optimizer": ["SGD"], "learning_rate": [0.01], "momentum": [0.9], "weight_decay": [0.0005],
                "batch_size": [100], "epochs": [15], "loss": ["CrossEntropyLoss"]},
        "autoencoder": {"optimizer": ["Adam"], "learning_rate": [0.001], "batch_size": [100], "epochs": [20],
                        "loss": ["MSELoss"]},
    }  # the test loader's 1000 is no training batch size


def test_a_value_passed_to_a_training_function_is_shown_where_it_is_passed():
    table = codescan.hyperparameters(cells(NETWORKS, TWO_NETWORKS))
    epochs = table["cnn"]["epochs"][0]
    assert epochs.where == "nb.ipynb, cell 2, line 19" and "epochs=15" in epochs.excerpt


def test_keras_compile_and_fit_belong_to_their_model():
    assert hyper("""
        model = keras.Sequential([layers.Conv2D(8, 3, activation='relu'), layers.Flatten(), layers.Dense(5)])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-4), loss='sparse_categorical_crossentropy',
                      metrics=['accuracy'])
        history = model.fit(x_train, y_train, epochs=12, batch_size=128, validation_split=0.1)
        """) == {"cnn": {"optimizer": ["Adam"], "learning_rate": [0.0005], "batch_size": [128], "epochs": [12],
                         "loss": ["SparseCategoricalCrossentropy"]}}


def test_a_training_function_never_called_is_read_with_its_defaults():
    assert hyper(NETWORKS, """
        def fit_autoencoder(loader, epochs=25, lr=2e-3):
            model = AutoEncoder()
            opt = torch.optim.Adam(model.parameters(), lr=lr)
            for _ in range(epochs):
                for x, _ in loader:
                    loss = F.mse_loss(model(x), x)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
        """) == {"autoencoder": {"optimizer": ["Adam"], "learning_rate": [0.002], "epochs": [25], "loss": ["MSELoss"]}}


def test_what_no_one_network_can_be_told_for_is_unattributed():
    assert hyper("""
        optimizer = torch.optim.RMSprop(params, lr=0.005)
        for epoch in range(8):
            for x, y in DataLoader(data, batch_size=32):
                loss = F.cross_entropy(net(x), y)
                loss.backward()
                optimizer.step()
        """) == {"unattributed": {"optimizer": ["RMSprop"], "learning_rate": [0.005], "batch_size": [32],
                                  "epochs": [8], "loss": ["CrossEntropyLoss"]}}


def test_a_reused_name_means_its_latest_assignment_at_each_training_loop():
    assert hyper(NETWORKS, """
        model = CNN()
        model = model.to(device)
        optimizer = optim.SGD(model.parameters(), lr=0.05)
        criterion = nn.CrossEntropyLoss()
        loader = DataLoader(train_set, batch_size=1)
        loader = DataLoader(train_set, batch_size=50, shuffle=True)
        for epoch in range(6):
            for x, y in loader:
                optimizer.zero_grad()
                criterion(model(x), y).backward()
                optimizer.step()

        model = AutoEncoder()
        optimizer = optim.Adam(model.parameters(), lr=0.002)
        criterion = nn.MSELoss()
        for epoch in range(4):
            for x, _ in loader:
                optimizer.zero_grad()
                criterion(model(x), x).backward()
                optimizer.step()
        """) == {"cnn": {"optimizer": ["SGD"], "learning_rate": [0.05], "batch_size": [50], "epochs": [6],
                         "loss": ["CrossEntropyLoss"]},
                 "autoencoder": {"optimizer": ["Adam"], "learning_rate": [0.002], "batch_size": [50], "epochs": [4],
                                 "loss": ["MSELoss"]}}


def test_an_autoencoder_trained_against_labels_is_the_ae_classifier():
    table = hyper(NETWORKS, """
        net = AutoEncoder()
        opt = optim.Adam(net.parameters(), lr=0.001)
        for epoch in range(3):
            for images, labels in train_loader:
                recon, logits = net(images)
                loss = F.mse_loss(recon, images) + F.cross_entropy(logits, labels)
                opt.zero_grad()
                loss.backward()
                opt.step()
        """)
    assert list(table) == ["ae_classifier"] and table["ae_classifier"]["loss"] == ["MSELoss", "CrossEntropyLoss"]


def test_a_loop_around_keras_fit_is_no_epoch_loop():
    table = hyper("""
        models = [build(width) for width in (32, 64, 128)]
        cnn = keras.Sequential([layers.Conv2D(16, 3), layers.Flatten(), layers.Dense(5)])
        cnn.compile(optimizer='adam', loss='categorical_crossentropy')
        for fold in range(5):
            cnn.fit(x_train, y_train, epochs=20, batch_size=64)
        """)
    assert table["cnn"]["epochs"] == [20] and table["cnn"]["optimizer"] == ["Adam"]


def test_hyperparameters_of_the_hand_written_autoencoder():
    table = codescan.hyperparameters(read_submission(HERE / "submissions" / "conv_autoencoder_head.py").code)
    assert {hp: [f.value for f in found] for hp, found in table["autoencoder"].items()} == {
        "optimizer": ["Adam"], "learning_rate": [0.001], "batch_size": [128], "epochs": [12], "loss": ["MSELoss"]}
    assert list(table) == ["autoencoder"]


# One parse of each code cell

def test_each_code_cell_is_parsed_once(monkeypatch):
    parsed = []
    real = variantlab.check.codeparse.parse
    monkeypatch.setattr(variantlab.check.codeparse, "parse", lambda source: parsed.append(source) or real(source))
    submission = read_submission(HERE / "submissions" / "tutorial_style.py")  # its docstrings: the first parse
    codescan.scan(submission.code)
    codescan.hyperparameters(submission.code)
    assert fingerprint(submission)
    assert len(parsed) == len(submission.code) == 1


def test_a_colab_export_with_a_shell_line_keeps_its_markdown():
    pieces = script_pieces('!pip install torchinfo\n"""# Question 1\nThe dataset is MNIST."""\nx = 1\n', "colab.py", "")
    assert [p.text for p in pieces if p.kind == "markdown"] == ["# Question 1\nThe dataset is MNIST."]


def test_a_notebook_that_tries_several_cnns_is_read_by_the_one_it_keeps():
    found = scanned("""
        def cnn_model(layers):
            model = keras.Sequential()
            model.add(layers.Conv2D(32, 3))
            model.add(layers.MaxPooling2D(2))
            model.add(layers.Flatten())
            model.add(layers.Dense(5))
            return model
        """, """
        own_model = keras.Sequential([layers.Conv2D(64, 5), layers.MaxPooling2D(2), layers.Conv2D(64, 3),
                                      layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(64), layers.Dense(5)])
        own_model.fit(x_train, y_train, epochs=19)
        """)
    assert [values(found, a) for a in ("first_filters", "pool_layers", "fc_nodes")] == [[64], [2], [64]]


def test_a_block_a_network_is_built_of_is_not_the_network():
    found = scanned("""
        class ConvBlock(nn.Module):
            def __init__(self, c_in, c_out):
                super().__init__()
                self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
            def forward(self, x):
                return F.relu(self.conv(x))

        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.blocks = nn.Sequential(ConvBlock(1, 10), ConvBlock(10, 20), ConvBlock(20, 40), ConvBlock(40, 64))
                self.pool = nn.MaxPool2d(2)
                self.fc = nn.Linear(64 * 14 * 14, 256)
                self.out = nn.Linear(256, 5)
            def forward(self, x):
                return self.out(F.relu(self.fc(torch.flatten(self.pool(self.blocks(x)), 1))))
        """)
    assert [values(found, a) for a in ("conv_layers", "pool_layers", "fc_nodes")] == [[4], [1], [256]]
