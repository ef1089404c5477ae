"""The rule table against an oracle written apart from it: ASSIGNMENT.md's rules as plain if/else, so a
rule mistyped in rules.RULES (or a wrong count of variants) fails here rather than agreeing with itself."""

import datetime as dt
import random

from variantlab.exam.rules import derive, distinct_variants
from variantlab.exam.student import parse_student


def oracle(day: int, month: int, year: int, abc: str, program: str) -> dict:
    """ASSIGNMENT.md sections 2 and 3, read once more and written without the rule table."""
    n, yy = int(abc), year % 100
    even_abc, digit_sum, last = n % 2 == 0, sum(map(int, abc)), int(abc[-1])
    btech = program == "btech"
    if btech:
        dataset = "fashion_mnist" if even_abc else "mnist"
        convs, pools = (4, 1) if last < 6 and even_abc else (3, 2) if last < 6 else (5, 1)
        filters, fc = (10 if even_abc else 8), (512 if digit_sum % 2 == 0 else 256)
    else:
        dataset = "cifar10"
        convs, pools = (5, 2) if even_abc else (6, 1)
        filters, fc = (16 if even_abc else 12), (1024 if digit_sum % 2 == 0 else 512)
    return {"dataset": dataset, "init": "xavier" if month % 2 == 0 else "he",
            "augmentation": "flip_random_noise" if day % 2 == 0 else "rotate_gaussian_noise",
            "pool": "avg" if month % 2 == 0 else "max",
            "classes": [0, 2, 4, 6, 8] if (day + month + yy) % 2 == 0 else [1, 3, 5, 7, 9],
            "conv_layers": convs, "pool_layers": pools, "first_filters": filters, "fc_nodes": fc,
            "ae_layers": 4 if even_abc else 3, "ae_fc_nodes": 512 if month % 2 == 0 else 256}


def random_students(count: int, seed: int = 0):
    rng = random.Random(seed)
    start = dt.date(1930, 1, 1)
    for _ in range(count):
        day = start + dt.timedelta(days=rng.randrange(36500))
        yield parse_student(day.strftime("%d/%m/%Y"), f"{rng.randrange(1000):03d}",
                            rng.choice(["btech", "mtech", "phd"]))


def test_derive_agrees_with_the_oracle_on_real_dates():
    for student in random_students(5000):
        values = {k: v for k, v in derive(student).to_dict().items() if k != "reasons"}
        assert values == oracle(student.day, student.month, student.year, student.abc, student.program), student


def test_the_reference_students_variant_is_the_reports():
    values = derive(parse_student("18/03/02", "B20AI052", "btech")).to_dict()
    assert values | {"reasons": None} == oracle(18, 3, 2002, "052", "btech") | {"reasons": None}


def test_count_of_distinct_variants():
    keys = distinct_variants()
    # B.Tech: 8 date combinations x (ABC parity x layout x digit-sum parity = 8); M.Tech/PhD: 8 x 4.
    assert len(keys) == 8 * 8 + 8 * 4 == 96
    assert sum(k.startswith("cifar10") for k in keys) == 32
    seen = {tuple(sorted((k, str(v)) for k, v in oracle(s.day, s.month, s.year, s.abc, s.program).items()))
            for s in random_students(20000, seed=1)}
    assert len(seen) == 96  # the oracle, on real dates, reaches the same number and no more
