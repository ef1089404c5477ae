"""The rule table, branch by branch, through derive() (ASSIGNMENT.md sections 2-3)."""

import pytest

from variantlab.errors import UserError
from variantlab.exam.rules import RULES, Variant, deciding_rules, derive, facts_of
from variantlab.exam.student import parse_student


def variant(dob="18/03/02", roll="B20AI052", program="btech") -> Variant:
    return derive(parse_student(dob, roll, program))


def test_reference_student():
    v = variant()
    assert (v.dataset, v.init, v.augmentation, v.pool) == ("fashion_mnist", "he", "flip_random_noise", "max")
    assert v.classes == (1, 3, 5, 7, 9)
    assert (v.conv_layers, v.pool_layers, v.first_filters, v.fc_nodes) == (4, 1, 10, 256)
    assert (v.ae_layers, v.ae_fc_nodes) == (4, 256)
    reasons = {r.aspect: (r.value, r.why) for r in v.reasons}
    assert reasons["dataset"] == ("FashionMNIST", "ABC = 052 is even, B.Tech")
    assert reasons["classes"] == ("1, 3, 5, 7, 9", "DD+MM+YY = 18+3+2 = 23 is odd")
    assert reasons["fc_nodes"] == ("FC 256", "digit sum of ABC = 0+5+2 = 7 is odd, B.Tech")
    assert Variant.from_dict(v.to_dict()) == v
    assert set(reasons) == {"dataset", "init", "augmentation", "pool", "classes", "feature_extractor",
                            "first_filters", "fc_nodes", "ae_layers", "ae_fc_nodes"}


@pytest.mark.parametrize("roll,program,dataset", [
    ("052", "btech", "fashion_mnist"), ("053", "btech", "mnist"),
    ("052", "mtech", "cifar10"), ("053", "phd", "cifar10"),
])
def test_dataset(roll, program, dataset):
    assert variant(roll=roll, program=program).dataset == dataset


@pytest.mark.parametrize("dob,init,pool,ae_fc", [("18/03/02", "he", "max", 256), ("18/04/02", "xavier", "avg", 512)])
def test_month_parity(dob, init, pool, ae_fc):
    v = variant(dob=dob)
    assert (v.init, v.pool, v.ae_fc_nodes) == (init, pool, ae_fc)


@pytest.mark.parametrize("dob,aug", [("18/03/02", "flip_random_noise"), ("17/03/02", "rotate_gaussian_noise")])
def test_day_parity(dob, aug):
    assert variant(dob=dob).augmentation == aug


@pytest.mark.parametrize("dob,classes", [
    ("18/03/02", (1, 3, 5, 7, 9)),  # 23 odd
    ("18/03/03", (0, 2, 4, 6, 8)),  # 24 even
    ("01/01/2000", (0, 2, 4, 6, 8)),  # 1+1+0 = 2 even: four-digit year, YY = 00
    ("01/01/1999", (1, 3, 5, 7, 9)),  # 1+1+99 = 101 odd
])
def test_class_parity(dob, classes):
    assert variant(dob=dob).classes == classes


@pytest.mark.parametrize("roll,layout,filters,ae_layers", [
    ("052", (4, 1), 10, 4),  # last digit 2 < 6, even
    ("053", (3, 2), 8, 3),  # last digit 3 < 6, odd
    ("000", (4, 1), 10, 4),  # ABC = 000: even, last digit 0
    ("056", (5, 1), 10, 4),  # last digit 6: the >= 6 boundary, even
    ("057", (5, 1), 8, 3),  # last digit >= 6, odd
    ("059", (5, 1), 8, 3),
])
def test_btech_feature_extractor(roll, layout, filters, ae_layers):
    v = variant(roll=roll)
    assert ((v.conv_layers, v.pool_layers), v.first_filters, v.ae_layers) == (layout, filters, ae_layers)


@pytest.mark.parametrize("program", ["mtech", "phd"])
@pytest.mark.parametrize("roll,layout,filters", [("052", (5, 2), 16), ("057", (6, 1), 12), ("000", (5, 2), 16)])
def test_postgraduate_feature_extractor(program, roll, layout, filters):
    v = variant(roll=roll, program=program)
    assert ((v.conv_layers, v.pool_layers), v.first_filters) == (layout, filters)


@pytest.mark.parametrize("roll,program,fc", [
    ("052", "btech", 256), ("053", "btech", 512),  # digit sums 7 and 8
    ("052", "mtech", 512), ("053", "phd", 1024),
])
def test_fc_nodes_follow_digit_sum(roll, program, fc):
    assert variant(roll=roll, program=program).fc_nodes == fc


def test_leading_zeros_are_kept():
    v = variant(roll="B20AI007")
    assert "ABC = 007 is odd" in {r.aspect: r.why for r in v.reasons}["dataset"]
    assert v.dataset == "mnist"


def test_every_rule_row_is_reachable():
    """Each row of the table decides at least one student somewhere: a row disabled, or shadowed by
    the row above it, is never the deciding one and fails this test."""
    decided = set()
    for program in ("btech", "mtech"):
        for abc in ("052", "053", "056", "057", "016"):
            for dob in ("18/03/02", "17/04/02", "18/04/02"):
                student = parse_student(dob, abc, program)
                decided |= {RULES.index(rule) for rule in deciding_rules(facts_of(student))}
    assert sorted(set(range(len(RULES))) - decided) == []


def test_variant_round_trips_through_dict():
    v = variant()
    assert Variant.from_dict(v.to_dict()) == v


@pytest.mark.parametrize("dob", ["29/02/2000", "29/02/04", "29/02/1996"])
def test_leap_days_accepted(dob):
    assert parse_student(dob, "052", "btech").day == 29


@pytest.mark.parametrize("dob,fragment", [
    ("29/02/2001", "not a real date"), ("29/02/1900", "not a real date"), ("31/02/03", "not a real date"),
    ("18/13/02", "not a real date"), ("00/01/02", "not a real date"), ("18-03", "not in the form"),
    ("18/03/002", "not in the form"), ("", "not in the form"),
])
def test_bad_dates(dob, fragment):
    with pytest.raises(UserError, match=fragment) as e:
        parse_student(dob, "052", "btech")
    assert repr(dob) in str(e.value)


def test_two_digit_year_window():
    assert parse_student("01/01/29", "052", "btech").year == 2029
    assert parse_student("01/01/30", "052", "btech").year == 1930


@pytest.mark.parametrize("roll", ["B20AI05X", "52", "", "B20AI0５2"])
def test_bad_rolls(roll):
    with pytest.raises(UserError, match="three digits"):
        parse_student("18/03/02", roll, "btech")


@pytest.mark.parametrize("text,key", [("B.Tech", "btech"), ("BTECH", "btech"), ("M.Tech", "mtech"),
                                      ("PhD", "phd"), ("ph.d.", "phd")])
def test_programmes(text, key):
    assert parse_student("18/03/02", "052", text).program == key


def test_unknown_programme():
    with pytest.raises(UserError, match="'BSc' is not one of: btech"):
        parse_student("18/03/02", "052", "BSc")
