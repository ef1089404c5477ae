"""How many variants the rule table allows, computed from the table itself."""

import datetime as dt
import random

from variantlab.rules import derive, distinct_variants
from variantlab.student import parse_student


def test_count_of_distinct_variants():
    keys = distinct_variants()
    # B.Tech: 8 date combinations x (ABC parity x layout x digit-sum parity = 8); M.Tech/PhD: 8 x 4.
    assert len(keys) == 8 * 8 + 8 * 4 == 96
    assert sum(k.startswith("cifar10") for k in keys) == 32


def test_real_dates_give_no_variant_outside_the_count():
    keys = distinct_variants()
    rng = random.Random(0)
    start = dt.date(1930, 1, 1)
    for _ in range(3000):
        day = start + dt.timedelta(days=rng.randrange(36500))
        student = parse_student(day.strftime("%d/%m/%Y"), f"{rng.randrange(1000):03d}", rng.choice(["btech", "phd"]))
        assert derive(student).key in keys
