"""`variantlab derive` through the real command line, as a user runs it."""

import json
import subprocess
import sys

import pytest


def cli(*args):
    return subprocess.run([sys.executable, "-m", "variantlab", *args], capture_output=True, text=True, timeout=120)


def test_table_names_every_aspect():
    out = cli("derive", "--dob", "18/03/02", "--roll", "B20AI052", "--program", "btech")
    assert out.returncode == 0, out.stderr
    for words in ("FashionMNIST", "MaxPool", "1, 3, 5, 7, 9", "4 conv + 1 pool", "10 filters", "FC 256", "4 layers"):
        assert words in out.stdout


def test_json_keys_and_types():
    out = cli("derive", "--dob", "18/03/02", "--roll", "B20AI052", "--program", "B.Tech", "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["dataset"] == "fashion_mnist" and d["init"] == "he" and d["pool"] == "max"
    assert d["augmentation"] == "flip_random_noise" and d["classes"] == [1, 3, 5, 7, 9]
    for key in ("conv_layers", "pool_layers", "first_filters", "fc_nodes", "ae_layers", "ae_fc_nodes"):
        assert type(d[key]) is int
    assert d["student"]["abc"] == "052" and d["student"]["program"] == "btech"
    assert len(d["reasons"]) == 10


@pytest.mark.parametrize("args,fragment", [
    (["--dob", "31/02/03", "--roll", "052", "--program", "btech"], "'31/02/03' is not a real date"),
    (["--dob", "18/13/02", "--roll", "052", "--program", "btech"], "'18/13/02' is not a real date"),
    (["--dob", "18-03", "--roll", "052", "--program", "btech"], "'18-03' is not in the form"),
    (["--dob", "18/03/02", "--roll", "B20AI05X", "--program", "btech"],
     "'B20AI05X' is not 3 to 32 ASCII letters, digits"),
    (["--dob", "18/03/02", "--roll", "B20\nAI052", "--program", "btech"], "'B20\\nAI052' is not"),
    (["--dob", "18/03/02", "--roll", "052", "--program", "bsc"], "'bsc' is not one of"),
])
def test_bad_input_exits_2_with_one_line(args, fragment):
    out = cli("derive", *args)
    assert out.returncode == 2
    assert fragment in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_deriving_imports_neither_torch_nor_ray():
    """`variantlab derive` and `--help` start in a fraction of a second: no torch, no Ray, no matplotlib."""
    code = ("import sys, variantlab, variantlab.exam.rules, variantlab.training.baselines, variantlab.cli\n"
            "from typer.testing import CliRunner\n"
            "for args in (['--help'], ['derive', '--dob', '18/03/02', '--roll', '052', '--program', 'btech']):\n"
            "    assert CliRunner().invoke(variantlab.cli.app, args).exit_code == 0\n"
            "print(sorted(m for m in ('torch', 'torchvision', 'ray', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
