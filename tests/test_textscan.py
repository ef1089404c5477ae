"""The text reader (textscan.py) on its own: paragraphs joined before any pattern reads them, the question each
sentence falls under, the student's details (a roll number in a file's name too), and aspects stated."""

from variantlab.check import textscan
from variantlab.check.submission import Piece


def test_hand_wrapped_lines_are_one_paragraph_and_hyphens_rejoin():
    piece = Piece("markdown", "The network uses max\npooling after the fourth convo-\nlution.\n\n- a list item\n"
                  "| a | row |\n", "nb.ipynb", "cell 1")
    assert [text for _, text in textscan.paragraphs(piece)] == [
        "The network uses max pooling after the fourth convolution.", "- a list item", "| a | row |"]


def test_printed_outputs_and_comments_are_not_joined():
    piece = Piece("output", "Epoch 1 loss 0.3\nEpoch 2 loss 0.2\n", "nb.ipynb", "output of cell 2")
    assert len(textscan.paragraphs(piece)) == 2


def test_each_sentence_knows_its_question_and_paragraph():
    text = "# Question 2: the autoencoder\n\nIt has four layers. Its code has 32 units and its decoder mirrors it.\n"
    read = textscan.lines([Piece("markdown", text, "r.md", "")])
    body = [line for line in read if line.text.startswith("It")]
    assert [line.text for line in body] == ["It has four layers.", "Its code has 32 units and its decoder mirrors it."]
    assert all(line.section == "ae" and line.paragraph.startswith("It has four") for line in body)


def test_a_comparison_heading_ends_the_question():
    text = "## Question 1\n\nThe CNN.\n\n## Comparison\n\nBoth networks.\n"
    read = textscan.lines([Piece("markdown", text, "r.md", "")])
    assert [(line.text, line.section) for line in read if not line.text.startswith("#")] == [
        ("The CNN.", "cnn"), ("Both networks.", None)]


def test_a_roll_number_only_in_the_files_names_is_stated():
    read = textscan.lines([Piece("markdown", "CNN on MNIST", "m22ma007_q1.py", "")])
    assert textscan.details(read, ("m22ma007_q1.py", "m22ma007_q2.py")).roll == "M22MA007"
    assert textscan.details(read, ("b20ai052.py", "b20ai054.py")).roll is None  # two rolls: neither is taken


def test_a_roll_in_the_text_wins_over_the_files_name():
    read = textscan.lines([Piece("markdown", "Roll number: B20AI052", "B20AI054_minor1.ipynb", "")])
    assert textscan.details(read, ("B20AI054_minor1.ipynb",)).roll == "B20AI052"


def test_an_aspect_stated_in_a_wrapped_sentence_is_read():
    text = "As MM is odd, we use\nmax pooling after the last conv layer.\n"
    read = textscan.lines([Piece("prose", text, "r.txt", "")])
    assert [f.value for f in textscan.aspects(read)["pool"]] == ["max"]


def test_the_exam_papers_rules_pasted_into_a_hand_in_state_nothing():
    text = ("- If ABC is odd, your network should have 3 conv layers and 2 pool layers.\n"
            "- If DD is even, use flip and random noise augmentation.\n"
            "As ABC = 052 is even, my CNN has 4 conv layers and 1 pool layer.\n")
    stated = textscan.aspects(textscan.lines([Piece("page", text, "paper.pdf", "page 2")]))
    assert [f.value for f in stated["conv_layers"]] == [4] and "augmentation" not in stated


def test_ligatures_fold_and_markdown_hard_breaks_end_a_paragraph():
    text = "We use 10 ﬁlters in the ﬁrst layer.\\\nFlip and noise augmentation.  \nDone."
    piece = Piece("markdown", text, "r.md", "")
    read = textscan.lines([piece])
    assert [line.text for line in read] == ["We use 10 filters in the first layer.", "Flip and noise augmentation.",
                                            "Done."]


def test_someone_elses_roll_number_is_not_the_students():
    text = ("I discussed the approach with B20AI053. My roll number is B20AI052 and my DOB is 01/01/02.\n\n"
            "Thanks to my friend (roll B20AI053, DOB 15/08/02) for help with Colab.\n\n"
            "References: https://github.com/someone/B21CS011_minor1\n\n"
            "The previous batch (B19AI052) had a different question.\n")
    read = textscan.lines([Piece("markdown", text, "README.md", "")])
    stated = textscan.details(read)
    assert (stated.roll, stated.dob) == ("B20AI052", "01/01/02")
    title_page = textscan.lines([Piece("page", "Deep Learning Report\nAyush Abrol\nB20AI052\n", "r.pdf", "page 1")])
    assert textscan.details(title_page).roll == "B20AI052"  # a title page's short line
