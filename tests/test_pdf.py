"""The PDF renderer on its own: tables whose text must wrap fit the page exactly, whatever their widths."""

import random

from variantlab.pdf import to_pdf


def test_wrapping_tables_of_any_widths_render(tmp_path):
    rng = random.Random(0)
    words = ["changed", "for", "this", "run", "cnn.lr,", "weight", "decay", "0.05", "AdamW", "warm-up", "cosine"]
    blocks = [("h", 1, "Minor 1: Test Student (B20AI052)")]
    for _ in range(40):
        columns = rng.randint(2, 5)
        rows = [[" ".join(rng.choices(words, k=rng.randint(1, 40))) for _ in range(columns)] for _ in range(3)]
        blocks.append(("table", [f"column {i}" for i in range(columns)], rows))
    path = to_pdf(blocks, "Minor 1: Test Student (B20AI052)", tmp_path / "t.pdf")
    assert path.read_bytes()[:5] == b"%PDF-"
