"""results.json as typed records: every file variantlab has written reads back (old formats included), a
run's identity tells runs apart, unknown names are refused, and no process-wide state is left changed."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from variantlab.course.sweep import finished
from variantlab.errors import UserError
from variantlab.exam.rules import derive
from variantlab.exam.student import parse_student
from variantlab.pipeline import check_out
from variantlab.provenance import code_digest
from variantlab.training.config import FitSpec, RunSpec, get_profile, make_profile
from variantlab.training.models import build
from variantlab.training.results import from_json, read_results, to_json, write_results
from variantlab.training.train import matmul_precision

ROOT = Path(__file__).resolve().parent.parent
EVIDENCE = sorted((ROOT / "docs" / "results").rglob("*.json"))
VARIANT = derive(parse_student("18/03/02", "B20AI052", "btech"))


@pytest.mark.parametrize("path", EVIDENCE, ids=lambda p: p.name)
def test_every_results_file_ever_written_reads_back(path):
    saved = json.loads(path.read_text())
    result = from_json(saved)
    assert result.cnn.test_accuracy == saved["cnn"]["test_accuracy"]
    assert result.profile.name == saved["profile"] and result.student.roll == saved["student"]["roll"]
    written = to_json(result)
    assert from_json(json.loads(json.dumps(written))) == result  # one round trip, nothing lost
    # What the file held is written back unchanged; older files gain only the fields added since, with the
    # values their runs had: no changed settings, every training image, the reference's CNN layout, no
    # commit recorded; the oldest wrote each reason as one string, now a value and its condition.
    added = {k: written[k] for k in written if k not in saved}
    assert added.items() <= {"changed_settings": [], "train_limit": None}.items()
    grown = ("settings", "versions", "variant")
    assert {k: v for k, v in written.items() if k in saved and k not in grown} == {
        k: v for k, v in saved.items() if k not in grown}
    for key in ("settings", "versions"):
        assert holds(written[key], saved[key])
    assert all(written["versions"][k] is None for k in written["versions"].keys() - saved["versions"].keys())
    assert {k: v for k, v in written["variant"].items() if k != "reasons"} == {
        k: v for k, v in saved["variant"].items() if k != "reasons"}
    assert [f"{r['value']}: {r['why']}" for r in written["variant"]["reasons"].values()] == [
        r if isinstance(r, str) else f"{r['value']}: {r['why']}" for r in saved["variant"]["reasons"].values()]


def holds(big: dict, small: dict) -> bool:
    """Every key of `small` is in `big` with the same value (recursively, for nested dicts)."""
    return all(k in big and (holds(big[k], v) if isinstance(v, dict) else big[k] == v) for k, v in small.items())


def test_the_evidence_keeps_every_older_format_the_reader_promises_to_read():
    """The read-back test above covers a format only while a file of it is in the evidence: the oldest
    (reasons as "value: why" strings, no commit recorded, no changed_settings or train_limit) and the ones
    between must stay, so that dropping support for any of them fails."""
    def format_of(saved: dict) -> tuple:
        reason = next(iter(saved["variant"]["reasons"].values()))
        return (isinstance(reason, str), "commit" in saved["versions"], "changed_settings" in saved,
                "train_limit" in saved)

    formats = {format_of(json.loads(p.read_text())) for p in EVIDENCE}
    assert {(True, False, False, False), (True, True, False, False), (False, True, True, False),
            (False, True, True, True)} <= formats


def test_a_damaged_results_file_is_refused_by_name(tmp_path):
    (tmp_path / "results.json").write_text('{"student": {}}')
    with pytest.raises(UserError, match=r"results\.json: not a results\.json variantlab wrote"):
        read_results(tmp_path)


def test_a_runs_identity_names_every_setting_that_changes_its_result():
    base = RunSpec(VARIANT, get_profile("fast"), 0)
    others = [RunSpec(VARIANT, make_profile("fast", epochs=2), 0), RunSpec(VARIANT, get_profile("fast"), 1),
              RunSpec(VARIANT, make_profile("fast", settings={"cnn.lr": "0.01"}), 0),
              RunSpec(VARIANT, get_profile("fast"), 0, train_limit=900), RunSpec(VARIANT, get_profile("faithful"), 0),
              RunSpec(derive(parse_student("18/03/02", "B20AI053", "btech")), get_profile("fast"), 0)]
    assert len({base.digest, *(o.digest for o in others)}) == 1 + len(others)
    assert RunSpec(VARIANT, make_profile("fast"), 0).digest == base.digest
    assert replace(base, variant=derive(parse_student("18/03/02", "X99AI052", "btech"))).digest == base.digest
    with pytest.raises(UserError, match="--train-limit 0 must be at least 1"):
        RunSpec(VARIANT, get_profile("fast"), 0, train_limit=0)


def test_unknown_model_names_and_tasks_are_refused():
    with pytest.raises(ValueError, match="task 'regress' is not one of: classify, reconstruct"):
        FitSpec(get_profile("fast").cnn, "regress")  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        build("vae", VARIANT, get_profile("fast"), (1, 28, 28), 5, 0)  # type: ignore[arg-type]
    assert get_profile("fast").fit_spec("autoencoder").task == "reconstruct"


def test_building_a_model_leaves_the_global_generator_as_it_was():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = build("cnn", VARIANT, get_profile("fast"), (1, 28, 28), 5, seed=7)
    assert torch.equal(torch.rand(3), expected)
    again = build("cnn", VARIANT, get_profile("fast"), (1, 28, 28), 5, seed=7)
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), again.parameters(), strict=True))


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_matmul_precision_is_restored_after_the_run(precision):
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    with matmul_precision(precision):
        assert torch.backends.cuda.matmul.allow_tf32 == (precision != "fp32")
    assert (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32) == before


def test_the_code_digest_follows_the_training_code_only(tmp_path):
    package = ROOT / "src" / "variantlab"

    def edited(module: str) -> str:
        """The digest of a copy of the package with one module changed."""
        copy = tmp_path / (module.replace("/", "-") or "unchanged")
        for source in package.rglob("*.py"):
            (copy / source.relative_to(package)).parent.mkdir(parents=True, exist_ok=True)
            (copy / source.relative_to(package)).write_bytes(source.read_bytes())
        if module:
            (copy / module).write_text((copy / module).read_text() + "\n# changed\n")
        return code_digest(copy)

    assert edited("") == code_digest(package) == RunSpec(VARIANT, get_profile("fast"), 0).identity()["code"]
    assert edited("report/report.py") == code_digest(package)  # presenting a result is not training it
    assert edited("training/train.py") != code_digest(package) != edited("training/models.py")


def test_a_folder_trained_by_other_code_is_refused_by_name(tmp_path):
    identity = RunSpec(VARIANT, get_profile("fast"), 0).identity()
    (tmp_path / "config.json").write_text(json.dumps({"identity": identity | {"code": "0123456789ab"}}))
    with pytest.raises(UserError, match=r"trained by other code \(code 0123456789ab.*give another --out"):
        check_out(tmp_path, identity)
    (tmp_path / "config.json").write_text(json.dumps({"identity": identity}))
    check_out(tmp_path, identity)  # this code's own folder: resumed


def test_a_sweep_reuses_a_finished_run_only_of_this_code(tmp_path):
    saved = json.loads(EVIDENCE[0].read_text())
    result = from_json(saved)
    spec = RunSpec(result.variant, result.profile, result.seed, result.train_limit)
    write_results(tmp_path, result)
    assert finished(tmp_path, spec) is None  # trained by code whose digest was not recorded
    write_results(tmp_path, replace(result, versions=replace(result.versions, code=code_digest())))
    assert finished(tmp_path, spec) is not None
    write_results(tmp_path, replace(result, versions=replace(result.versions, code="0123456789ab")))
    assert finished(tmp_path, spec) is None
