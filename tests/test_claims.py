"""Accuracy claims as a careful reader attributes them (claims.py): each number to the network named nearest
to it, two networks in one sentence as two claims, table rows, differences and other people's numbers left
out, and a claim whose network cannot be told kept as unattributed. Each case is a failure seen in real
submissions, written anew here."""

import pytest

from variantlab.check import claims, textscan
from variantlab.check.submission import Piece


def read(text: str, kind: str = "markdown", file: str = "report.md") -> list[claims.Claim]:
    return claims.accuracy_claims(textscan.lines([Piece(kind, text, file, "")]))


def said(found: list[claims.Claim]) -> list[tuple[str | None, float]]:
    return [(c.network, round(100 * c.value, 2)) for c in found]


def test_two_networks_in_one_sentence_give_two_claims():
    found = read("Accuracy of CNN was 54.8% whereas the accuracy of AutoEncoder is 12.08%.")
    assert said(found) == [("cnn", 54.8), ("ae_classifier", 12.08)]
    assert [c.by for c in found] == ["clause", "clause"]


def test_a_claim_in_the_autoencoders_part_is_the_ae_classifiers():
    text = ("## Question 1\n\nThe CNN trains for 15 epochs.\n\n## Question 2: the autoencoder\n\n"
            "After introducing dropout, the test accuracy rises to 19%.\n")
    assert said(read(text)) == [("ae_classifier", 19.0)]
    assert read(text)[0].by == "section"


def test_a_claim_with_no_network_anywhere_is_unattributed():
    found = read("We got a test accuracy of 91.5% in the end.")
    assert said(found) == [(None, 91.5)] and found[0].by == ""


def test_table_rows_are_read_with_their_key_and_column():
    text = "| Model | Test accuracy |\n|---|---|\n| CNN | 97.92 % |\n| AE classifier | 97.12 % |\n"
    assert said(read(text)) == [("cnn", 97.92), ("ae_classifier", 97.12)]


def test_a_pdf_table_row_with_wide_spaces_is_a_row():
    found = read("Classification accuracy   0.59%", kind="page", file="report.pdf")
    assert said(found) == [(None, 0.59)]


def test_a_per_class_table_is_listed_as_per_class():
    text = ("## Question 1: the CNN\n\n| class | test accuracy |\n|---|---|\n| Trouser | 98.80 % |\n"
            "| Dress | 95.10 % |\n")
    found = read(text)
    assert said(found) == [("cnn", 98.8), ("cnn", 95.1)] and all(c.per_class for c in found)


def test_a_comparison_keeps_its_claims_and_drops_the_difference():
    found = read("The CNN reached 98.1% test accuracy, ahead of the AE classifier's 97.7% by 0.4 points.")
    assert said(found) == [("cnn", 98.1), ("ae_classifier", 97.7)]


@pytest.mark.parametrize("text", [
    "The reference solution reached 97.92% test accuracy.",
    "Training accuracy of the CNN: 99.10%",
    "Validation accuracy 98.2%",
    "Test accuracy 98.5 ± 0.1 % over three seeds",
    "Chance accuracy on five classes is 20%.",
])
def test_numbers_that_are_not_the_students_test_result_are_not_claims(text):
    assert read(text) == []


def test_respectively_follows_the_order_named():
    found = read("The test accuracies of the CNN and the autoencoder classifier are 98.10% and 97.70% respectively.")
    assert said(found) == [("cnn", 98.1), ("ae_classifier", 97.7)]


def test_a_printed_output_takes_its_network_from_the_code_that_printed_it():
    pieces = [Piece("code", "acc = evaluate(ae_classifier, test_loader)\nprint(f'Test accuracy: {acc}')", "nb.ipynb",
                    "cell 7"),
              Piece("output", "Test accuracy: 0.9712", "nb.ipynb", "output of cell 7")]
    found = claims.accuracy_claims(textscan.lines(pieces))
    assert said(found) == [("ae_classifier", 97.12)] and found[0].by == "cell code" and found[0].printed


def test_a_printed_epoch_line_is_no_test_claim():
    pieces = [Piece("output", "Epoch 15: train acc 0.9901, loss 0.03", "nb.ipynb", "output of cell 3")]
    assert claims.accuracy_claims(textscan.lines(pieces)) == []


def test_a_files_name_says_its_question():
    found = claims.accuracy_claims(textscan.lines([Piece("comment", "final test accuracy 98.40%", "m22ma007_q1.py",
                                                         "")]), {"m22ma007_q1.py": "cnn"})
    assert said(found) == [("cnn", 98.4)] and found[0].by == "file"
    assert claims.file_network("m22ma007_q1.py") == "cnn" and claims.file_network("Q2_autoencoder.ipynb") == \
        "ae_classifier" and claims.file_network("minor1.ipynb") is None


def test_a_wrapped_sentence_is_one_claim():
    text = "Got the testing\naccuracy on 5000 samples as\n97.91%.\n"
    assert said(read(text, file="q1.md")) == [(None, 97.91)]


def test_agreeing_statements_are_rounding_of_each_other():
    def claim(value, unit):
        return claims.Claim(value, unit, False, claims.Found(value, "", ""))
    assert claims.agrees(claim(0.979199, 1e-6), claim(0.9792, 1e-4))
    assert claims.agrees(claim(0.97919, 1e-5), claim(0.9791, 1e-4))  # truncated
    assert not claims.agrees(claim(0.991, 1e-3), claim(0.9792, 1e-4))


@pytest.mark.parametrize("printed,code,value", [
    ("Test_acc:  85.8682753164557", "", 0.858683),  # a name with an underscore still says accuracy
    ("Iteration: 18000 Loss: 0.00092 Accuracy: 93.42", "for images, labels in test_loader:\n    correct += 1",
     0.9342),  # no word 'test' printed, but the cell evaluates on the test loader
])
def test_printed_test_results_are_read(printed, code, value):
    pieces = [Piece("code", code, "nb.ipynb", "cell 4"), Piece("output", printed, "nb.ipynb", "output of cell 4")]
    assert [round(c.value, 6) for c in claims.accuracy_claims(textscan.lines(pieces))] == [value]


@pytest.mark.parametrize("printed", [
    "400000/400000 [==============================] - 24s 61us/sample - loss: 0.0075 - acc: 0.9975",
    "Batch [400/469], Loss: 0.2475, Accuracy: 96.27%",
])
def test_training_logs_are_no_test_claims_even_in_a_cell_that_tests(printed):
    pieces = [Piece("code", "model.fit(x_train, y_train, validation_data=(x_test, y_test))", "nb.ipynb", "cell 9"),
              Piece("output", printed, "nb.ipynb", "output of cell 9")]
    assert claims.accuracy_claims(textscan.lines(pieces)) == []
    assert read(printed, kind="page", file="report.pdf") == []  # pasted into a report, the same


def test_a_decimal_comma_before_a_percent_sign_is_a_decimal():
    assert said(read("Test accuracy of the autoencoder classifier: 91,03%")) == [("ae_classifier", 91.03)]
    assert said(read("The CNN's test accuracy: 97.5 %, on 1,000 images")) == [("cnn", 97.5)]


def test_word_bullets_and_control_characters_keep_a_conclusions_claims_apart():
    text = "Conclusion\x02In my case the CNN did better than the AE:\n\uf0b7 Accuracy of CNN= 54.76%\n" \
           "\uf0b7 Accuracy of AE= 10.08%\n"
    assert said(read(text, kind="prose", file="README.md")) == [("cnn", 54.76), ("ae_classifier", 10.08)]


def test_a_numbered_lead_in_names_the_network_of_what_follows():
    text = ("1. Label classification using a CNN:\n- The architecture was tuned, giving a test accuracy of 94%.\n"
            "2. Dimensionality reduction with an autoencoder:\n- Its classifier reached a test accuracy of 88%.\n")
    assert said(read(text, file="README.md")) == [("cnn", 94.0), ("ae_classifier", 88.0)]


def test_a_jumbled_pdf_row_is_read_as_its_sentence_and_reconstruction_is_no_classification():
    assert read("Classification loss Reconstruction accuracy 15.74% | 0.0146", kind="page", file="r.pdf") == []
    assert said(read("## Question 2\n\nClassification accuracy | 0.59%\n")) == [("ae_classifier", 0.59)]


def test_a_size_keyed_to_training_is_not_the_test_sets():
    line = textscan.lines([Piece("output", "training images: 30508 test images: 5074", "nb.ipynb", "output of cell 2")])
    assert claims.sizes_stated(line)["test_size"][0].value == 5074
    assert claims.sizes_stated(textscan.lines([Piece("prose", "We test on 5,000 test images.", "r.md", "")]))[
        "test_size"][0].value == 5000


def test_a_training_column_before_the_test_column_is_passed_over():
    text = ("| Model | Train accuracy | Test accuracy |\n|---|---|---|\n| CNN | 93.10% | 89.46% |\n"
            "| AE classifier | 86.20% | 84.80% |\n")
    assert said(read(text)) == [("cnn", 89.46), ("ae_classifier", 84.8)]
