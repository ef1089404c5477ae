"""Aspects as students state them in words (textscan.aspects): counts and widths in the phrasings real hand-ins use,
datasets named without the word 'data', classes named by the ones removed, and code shown in a README or left in a
comment, which states nothing. Each misreading here would accuse an honest student, each miss costs a not_found."""

from variantlab.check import textscan
from variantlab.check.submission import Piece, script_pieces


def stated(text: str, kind: str = "prose", name: str = "README.md") -> dict[str, list]:
    """Each aspect's values as a file of `kind` holding `text` states them."""
    pieces = script_pieces(text, name, "") if kind == "script" else [Piece(kind, text, name, "")]
    return {aspect: [f.value for f in found] for aspect, found in textscan.aspects(textscan.lines(pieces)).items()}


# Counts and widths in students' words.

def test_the_first_layer_written_1st():
    assert stated("We put 16 filters in the 1st layer.\n")["first_filters"] == [16]
    item = "Number of filters in 1st conv layer = 10 with kernel size = 3\n"
    assert stated(item, "markdown")["first_filters"] == [10]
    assert stated("conv = nn.Conv2d(1, 8, 3)  # 8 Filters in 1st Layer\n", "script", "q1.py")["first_filters"] == [8]


def test_no_dot_of_is_a_number_not_a_negation():
    assert stated("No. of filters in the 1st layer is 32, doubling after.\n")["first_filters"] == [32]


def test_a_hyphenated_or_layered_count_of_a_cnn():
    assert stated("- 5-Conv and 2-FC, with dropout\n")["conv_layers"] == [5]
    assert stated("- A 3 layered CNN with batch normalisation\n")["conv_layers"] == [3]


def test_the_autoencoders_layers_in_its_own_words():
    assert stated("## Autoencoder\n\nThe number of AE layers will be 3\n")["ae_layers"] == [3]
    assert stated("## Question 2\n\nThe encoder is built from four 2D convolutional layers, each with a ReLU.\n"
                  )["ae_layers"] == [4]


def test_a_heads_width_in_a_comment_and_a_readme():
    script = "# Question 2\nhead = nn.Linear(64, 512)  # MM is even, hence 512 nodes\n"
    assert stated(script, "script", "q2.py")["ae_fc_nodes"] == [512]
    readme = "## Question 2\n\nWe throw the decoder away, and a hidden layer of 128 neurons goes on the encoder.\n"
    assert stated(readme)["ae_fc_nodes"] == [128]


def test_a_count_of_fc_layers_with_its_width_is_a_width_not_the_autoencoders_layers():
    read = stated("## Question 2\n\nNumber of dense layers = 1 with 512 units\n", "markdown")
    assert read == {"ae_fc_nodes": [512]}


def test_two_networks_compared_in_one_sentence_each_keep_their_count():
    read = stated("## Comparison\n\nOur autoencoder is shallower, with (4) layers, than the CNN (7 layers).\n")
    assert read["ae_layers"] == [4] and "conv_layers" not in read
    read = stated("The CNN wins since the number of layers in the autoencoder is smaller(3) than in the CNN (5).\n")
    assert read["ae_layers"] == [3]


def test_a_decoders_layers_are_not_the_encoders():
    assert "ae_layers" not in stated("## Question 2\n\nThe decoder has 3 layers.\n")
    assert "ae_layers" not in stated("## Question 2\n\nNumber of decoding layers = 5\n", "markdown")
    assert stated("## Question 2\n\nThe decoder is discarded and 1 FC layer of 256 nodes is added.\n"
                  )["ae_fc_nodes"] == [256]


def test_a_stride_padding_or_kernel_size_is_not_a_count():
    read = stated("AvgPool layer: kernel = 3, stride = 3\n")
    assert read == {"pool": ["avg"]}
    read = stated("Number of MaxPool layers = 1 with kernel size = 2 and stride = 2\n", "markdown")
    assert read == {"pool_layers": [1], "pool": ["max"]}


def test_some_of_the_layers_are_not_all_of_them():
    read = stated("The first convolution has 8 filters. The other three convolutional layers use 64 filters each.\n")
    assert "conv_layers" not in read


def test_a_value_tried_and_not_kept_states_nothing():
    text = "A network with 4 conv layers scored highest. However, the gain is small, so we go with 3 conv layers.\n"
    assert stated(text)["conv_layers"] == [3]
    assert stated("5 conv layers did slightly better, but we went with 4 conv layers\n")["conv_layers"] == [4]
    text = "## Question 1\n\nDense layers of 512 units did best. But we stick with 128 units to save time.\n"
    assert stated(text)["fc_nodes"] == [128]


def test_a_head_of_fc_layers_is_not_the_autoencoders_layer_count():
    text = "## Question 2\n\n# 2 FC LAYER HEAD\n\nThe autoencoder classifier with 2 FC layers and sigmoid outputs\n"
    assert "ae_layers" not in stated(text)


def test_a_width_at_the_end_of_a_sentence_and_beside_the_output_layer():
    assert stated("The size of the only FC layer in the CNN is 512.\n")["fc_nodes"] == [512]
    assert stated("The CNN ends with an FC layer of 512 nodes and an output layer of 100 nodes.\n")["fc_nodes"] == [512]


def test_a_rule_stated_with_its_condition_states_nothing():
    assert stated("## Question 2\n\nThe AE will have 4 layers if ABC is even, else 3.\n") == {}


def test_it_after_the_encoder_is_the_encoder_and_a_layout_without_it_is_the_cnns():
    read = stated("The encoder is a stack of conv layers. It uses max pooling after each of its 3 conv layers.\n")
    assert "pool" not in read and "conv_layers" not in read
    read = stated("The encoder has 3 layers. The feature extractor has 5 conv layers and 1 pool layer.\n", "page",
                  "report.pdf")
    assert read["conv_layers"] == [5] and read["ae_layers"] == [3]


# Datasets named without the word "data".

def test_a_dataset_trained_on_or_classified_is_stated():
    assert stated("The network is trained on FashionMNIST for 20 epochs.\n")["dataset"] == ["fashion_mnist"]
    assert stated("A PyTorch model for MNIST digits\n")["dataset"] == ["mnist"]
    assert stated("# CIFAR10: 60,000 colour images, 6,000 per class\n", "script", "q1.py")["dataset"] == ["cifar10"]


def test_a_title_names_the_dataset():
    assert stated("# Fashion-MNIST with a small CNN\n\nSome notes.\n")["dataset"] == ["fashion_mnist"]
    assert stated("## Digits_MNIST_Classifier\n")["dataset"] == ["mnist"]


def test_cifar_alone_is_cifar10_and_cifar100_is_not():
    assert stated("CIFAR data loading and a few pictures shown.\n")["dataset"] == ["cifar10"]
    assert "dataset" not in stated("Trained on CIFAR-100 images for comparison.\n")


def test_a_dataset_named_as_an_example_or_in_a_reference_states_nothing():
    assert "dataset" not in stated("The same trick would work on MNIST data, for example.\n")
    assert "dataset" not in stated("- Convolutional networks on MNIST images (LeCun et al., 1998)\n")
    assert "dataset" not in stated("- https://example.org/tutorials/cnn-on-cifar10-dataset\n")


# Classes named by the ones removed.

def test_classes_removed_leave_the_others():
    assert stated("x = keep(data)  # Remove the even classes before training\n", "script", "q.py")["classes"] == [
        [1, 3, 5, 7, 9]]
    assert stated("We drop the odd classes from the dataset.\n")["classes"] == [[0, 2, 4, 6, 8]]
    assert stated("Removing odd labels, keeping only the even labels.\n")["classes"] == [[0, 2, 4, 6, 8]]
    assert stated("Only the odd classes are kept.\n")["classes"] == [[1, 3, 5, 7, 9]]


def test_five_labels_before_the_word_labels():
    assert stated("y = pick(y)  # keeping only 1,3,5,7,9 as labels\n", "script", "q.py")["classes"] == [[1, 3, 5, 7, 9]]


# Code is not a statement.

def test_a_fenced_block_in_a_readme_is_code():
    text = "## Question 1\n\n```python\nself.pool = nn.MaxPool2d(2)\nlayers = [nn.Conv2d(1, 8, 3)]\n```\n\n" \
           "The network uses average pooling.\n"
    assert stated(text) == {"pool": ["avg"]}


def test_commented_out_code_with_a_comment_of_its_own_is_code():
    script = "#    nn.MaxPool2d(2),  # halves the size\n#         # self.fc2 = nn.Linear(120, 84)\nx = 1\n"
    assert stated(script, "script", "q1.py") == {}


def test_a_comment_after_code_is_read_and_the_code_is_not():
    script = "self.pool = nn.AvgPool2d(2)  # average pooling as MM is even\n"
    assert stated(script, "script", "q1.py") == {"pool": ["avg"]}


def test_words_before_a_network_named_are_its_own_unless_they_name_a_part_of_the_other():
    assert stated("As MM is odd, max pooling is used in the CNN.\n")["pool"] == ["max"]
    assert stated("The classification layer of the CNN has 256 nodes.\n") == {"fc_nodes": [256]}
    run_on = "- The classification layer will be one FC layer of 512 nodes as asked Conclusion the CNN beat the AE\n"
    assert stated(run_on) == {"ae_fc_nodes": [512]}


def test_a_kernel_size_is_not_a_layer_count_and_a_dataset_compared_with_is_not_the_one_used():
    assert stated("We use 3 x 3 conv kernels in 5 conv layers.\n")["conv_layers"] == [5]
    assert "dataset" not in stated("Training took longer than it does on MNIST data.\n")


def test_a_layout_tried_and_left_states_nothing():
    assert "conv_layers" not in stated("I also tried 3 conv layers first but switched to 4 as required.\n")
    assert "conv_layers" not in stated("Earlier experiments with 2 conv layers underfit, so the final model uses 4.\n")
    assert "conv_layers" not in stated("The model with 2 conv layers scored less than the one with 4 conv layers.\n")
