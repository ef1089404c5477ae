"""A whole class at once on Ray: each distinct run (variant, profile with its overrides, seed, training
limit) trains once, as one Ray task; every student still gets a report of their own, and the class gets
a summary.

Layout of the output folder:
  variants/<variant key>-<profile>-seed<S>-<digest>/   one `variantlab run` folder per group (shared);
                                                        the digest names the run's whole identity
  students/<roll>/report.html, .md, .pdf               each student's report; `training` links to the group
  class_summary.csv, class_summary.html, groups.json
"""

import logging
import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from variantlab.atomic import atomic_path, default_out, inside, write_json, write_text
from variantlab.course.roster import Row, read_roster, write_csv
from variantlab.errors import UserError
from variantlab.exam.rules import Variant, derive
from variantlab.exam.student import Student
from variantlab.locks import folder_lock
from variantlab.report import sheet
from variantlab.report.document import Block, Heading, Link, Paragraph, table
from variantlab.report.report import mean_sd, pct, write_report
from variantlab.training import baselines
from variantlab.training.baselines import Judgement
from variantlab.training.config import (
    CLASSIFIERS,
    TITLES,
    ClassifierName,
    Profile,
    RunSpec,
    check_train_limit,
    make_profile,
)
from variantlab.training.results import RunResult, read_results

SUMMARY_COLUMNS = ("line", "roll", "first", "last", "status", "variant_key", "cnn_test_accuracy",
                   "ae_classifier_test_accuracy",
                   "cnn_test_accuracy_std", "ae_classifier_test_accuracy_std", "seeds",
                   "baseline_variant", "baseline_own", "cnn_baseline", "cnn_baseline_std", "ae_classifier_baseline",
                   "ae_classifier_baseline_std", "cnn_verdict", "ae_classifier_verdict", "outlier", "flag", "report",
                   "error")
MODEL_SHORT: dict[ClassifierName, str] = {"cnn": "CNN", "ae_classifier": "AE"}
DATASET_SHORT = {"fashion_mnist": "F-MNIST", "mnist": "MNIST", "cifar10": "CIFAR-10"}
# baselines.judge's caveats, by a phrase each holds, and the label each shows under in the summary's rows
CAVEAT_LABELS = (("stands in for this variant", "stand-in baseline"), ("this run changed", "settings changed"),
                 ("trained on the first", "train limit"), ("a low claim is not judged", "low not judged"))
# Environment a worker needs to find data the way the driver does (a cluster's nodes have their own).
FORWARDED_ENV = ("VARIANTLAB_DATA", "VARIANTLAB_OFFLINE", "XDG_CACHE_HOME")


@dataclass
class Group:
    """One training run that serves every student whose variant it is."""

    key: str  # folder name: variant key, profile, seed, digest of the whole identity
    spec: RunSpec
    trainee: Student  # the first student it serves: whose details its own run folder records
    students: list[Row] = field(default_factory=list)
    result: RunResult | None = None
    error: str = ""


def plan_groups(rows: list[Row], profile: Profile, seeds: int, train_limit: int | None) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for row in rows:
        if row.student is None:
            continue
        variant = derive(row.student)
        for seed in range(seeds):
            spec = RunSpec(variant, profile, seed, train_limit)
            key = f"{variant.key}-{profile.name}-seed{seed}-{spec.digest}"
            groups.setdefault(key, Group(key, spec, row.student)).students.append(row)
    return groups


def train_group(student: Student, spec: RunSpec, out: str, data_dir, device: str, threads: int) -> RunResult:
    """One Ray task: train a group's models in its own folder (a normal `variantlab run` folder)."""
    import torch

    from variantlab.pipeline import resolve_device, run_training

    torch.set_num_threads(threads)
    return run_training(student, spec, device=resolve_device(device), out=Path(out), data_dir=data_dir,
                        show_progress=False)


def finished(folder: Path, spec: RunSpec) -> RunResult | None:
    """The group's finished result, if `folder` holds one of exactly this run (else it trains, and a folder
    holding another run's is refused there by name)."""
    try:
        result = read_results(folder)
    except UserError:  # not there, or damaged: the run resumes from its checkpoints and writes it anew
        return None
    same = RunSpec(result.variant, result.profile, result.seed, result.train_limit).identity() == spec.identity()
    return result if same and result.versions.code == spec.identity()["code"] else None


def sweep(roster: str | Path, *, profile: str = "fast", seeds: int = 1, epochs: int | None = None,
          train_limit: int | None = None, address: str | None = None, cpus_per_run: float = 1,
          gpus_per_run: float = 0, out: str | Path | None = None, data_dir=None, settings: dict | None = None,
          show_progress: bool = True, on_group_done: Callable[[Group], None] | None = None) -> list["SummaryRow"]:
    """Train every distinct variant of a roster once per seed on Ray; returns the summary rows.
    `on_group_done(group)` runs in this process as each group's task returns."""
    chosen = make_profile(profile, epochs, settings)
    if seeds < 1:
        raise UserError(f"--seeds {seeds} must be at least 1")
    if cpus_per_run <= 0 or gpus_per_run < 0:
        raise UserError(f"--cpus-per-run {cpus_per_run} must be > 0 and --gpus-per-run {gpus_per_run} >= 0")
    check_train_limit(train_limit)
    rows = read_roster(Path(roster))
    out = sweep_out(roster, out).resolve()
    if out.exists() and not out.is_dir():
        raise UserError(f"output path {out} is a file; give a folder")
    groups = plan_groups(rows, chosen, seeds, train_limit)
    out.mkdir(parents=True, exist_ok=True)
    with folder_lock(out):  # one sweep per folder: two would refuse each other's groups and overwrite the summary
        todo = []
        for group in groups.values():
            group.result = finished(out / "variants" / group.key, group.spec)
            if group.result is None:
                todo.append(group)
        if todo:
            _run_on_ray(todo, out, data_dir, address, cpus_per_run, gpus_per_run, show_progress,
                        skipped=len(groups) - len(todo), on_group_done=on_group_done)
        return write_summary(out, rows, groups, seeds, baselines.shipped())


def sweep_out(roster: str | Path, out: str | Path | None) -> Path:
    return default_out(out, "sweeps", Path(roster).stem)


def _run_on_ray(todo: list[Group], out: Path, data_dir, address, cpus_per_run, gpus_per_run, show_progress: bool,
                skipped: int, on_group_done: Callable[[Group], None] | None) -> None:
    import ray
    from rich.console import Console
    from rich.live import Live

    env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    try:
        # "local" starts a Ray of our own: a bare init would join whatever cluster `ray start` left on this
        # machine, and die with it.
        ray.init(address=address or "local", log_to_driver=False, include_dashboard=False,
                 logging_level=logging.WARNING, runtime_env={"env_vars": env} if env else None)
    except (ConnectionError, RuntimeError, ValueError) as e:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise UserError(f"could not start or join {where}: {e}".splitlines()[0]) from None
    try:
        # UserError (bad or missing data, bad settings) is permanent; an OSError may pass on a retry.
        task = ray.remote(train_group).options(num_cpus=cpus_per_run, num_gpus=gpus_per_run, max_retries=2,
                                               retry_exceptions=[OSError])
        device = "cuda" if gpus_per_run > 0 else "cpu"
        threads = max(1, int(cpus_per_run))
        pending = {task.remote(g.trainee, g.spec, str(out / "variants" / g.key),
                               str(data_dir) if data_dir else None, device, threads): g for g in todo}
        slots = max(1, int(ray.cluster_resources().get("GPU" if gpus_per_run else "CPU", 1)
                           // (gpus_per_run or cpus_per_run)))
        done = failed = 0
        started = time.monotonic()

        def status() -> str:
            running = min(len(pending), slots)
            return (f"groups: {done} done, {running} running, {len(pending) - running} queued, {failed} failed"
                    f"{f', {skipped} finished before' if skipped else ''}  [{time.monotonic() - started:.0f} s]")

        console = Console(quiet=not show_progress)
        with Live(status(), refresh_per_second=2, console=console, transient=True) as live:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
                for ref in ready:
                    group = pending.pop(ref)
                    try:
                        group.result = ray.get(ref)
                        done += 1
                    except Exception as e:  # a task's failure is recorded for its students; others carry on
                        group.error = _task_error(e)
                        failed += 1
                    if on_group_done is not None:
                        on_group_done(group)
                live.update(status())
        console.print(status())
    finally:
        ray.shutdown()


def _task_error(e: Exception) -> str:
    cause = getattr(e, "cause", None) or e
    return f"{type(cause).__name__}: {cause}".splitlines()[0]


@dataclass(frozen=True)
class SummaryRow:
    """One roster row's outcome: its accuracies over seeds, each judged against its variant's baseline."""

    line: int
    roll: str
    first: str
    last: str
    status: Literal["ok", "failed", "invalid"]
    error: str = ""
    variant_key: str = ""
    accuracy: Mapping[ClassifierName, tuple[float, ...]] = field(default_factory=dict)  # one per seed
    judgements: Mapping[ClassifierName, Judgement] = field(default_factory=dict)
    report: str = ""  # relative to the sweep's folder

    @property
    def seeds(self) -> int:
        return len(self.accuracy.get("cnn", ()))

    @property
    def outlier(self) -> bool:
        return any(j.outlier for j in self.judgements.values())

    @property
    def flags(self) -> list[tuple[str, str]]:
        """Each outlying model's reason, then every caveat once (or why nothing could be judged): each as a
        short label and its words."""
        flags = [(f"{MODEL_SHORT[m]} {j.verdict.split('_')[0]}", f"{m} {j.verdict}: {j.why}")
                 for m, j in self.judgements.items() if j.outlier]
        flags += [("no baseline", f"no baseline: {j.why}") for j in list(self.judgements.values())[:1]
                  if j.verdict == "no_baseline"]
        caveats = dict.fromkeys(c for j in self.judgements.values() for c in j.caveats)
        return flags + [(next((label for phrase, label in CAVEAT_LABELS if phrase in c), "caveat"), c) for c in caveats]

    def csv_record(self) -> dict[str, str | int | float]:
        """The row as the CSV holds it: fractions to six decimals, booleans as yes or empty."""
        record: dict[str, str | int | float] = dict.fromkeys(SUMMARY_COLUMNS, "")
        record.update(line=self.line, roll=self.roll, first=self.first, last=self.last, status=self.status,
                      variant_key=self.variant_key, report=self.report, error=self.error)
        if self.status != "ok":
            return record
        baseline = self.judgements["cnn"].baseline
        record |= {"seeds": self.seeds, "outlier": "yes" if self.outlier else "",
                   "flag": "; ".join(words for _, words in self.flags)}
        if baseline is not None:
            record |= {"baseline_variant": baseline.key, "baseline_own": "yes" if baseline.own else
                       "no (closest measured)"}
        for m in CLASSIFIERS:
            values, judgement = self.accuracy[m], self.judgements[m]
            record |= {f"{m}_test_accuracy": round(statistics.mean(values), 6),
                       f"{m}_test_accuracy_std": round(statistics.stdev(values), 6) if len(values) > 1 else "",
                       f"{m}_verdict": judgement.verdict}
            if judgement.upper is not None:
                sd = judgement.upper.measured.sd(m)
                record |= {f"{m}_baseline": round(judgement.upper.mean, 6),
                           f"{m}_baseline_std": round(sd, 6) if sd is not None else ""}
        return record


def student_row(row: Row, mine: list[Group], out: Path, table: baselines.Table) -> SummaryRow:
    """A valid roster row's outcome: its report written and linked to its training, or the first failure."""
    base = SummaryRow(row.line, row.roll, row.first, row.last, "ok", variant_key=mine[0].spec.variant.key)
    failures = [g.error for g in mine if g.result is None]
    folder = inside(out / "students", row.roll)
    if failures or row.student is None:
        for stale in (*(folder / f"report.{kind}" for kind in ("md", "html", "pdf")), folder / "training"):
            stale.unlink(missing_ok=True)  # an earlier sweep's report of other training is not this one's
        return replace(base, status="failed", error=failures[0] if failures else "not trained")
    runs = [g.result for g in mine if g.result is not None]
    group = out / "variants" / mine[0].key
    # The group's training, reported for this student: their details, their reasons.
    own = replace(runs[0], student=row.student, variant=derive(row.student))
    write_report(folder, own, group / "figures", baselines.judge_run(own, table))
    link_training(folder, group)
    accuracy = {m: tuple(r.classifier(m).test_accuracy for r in runs) for m in CLASSIFIERS}
    judgements = baselines.judge_run(own, table, {m: statistics.mean(accuracy[m]) for m in CLASSIFIERS}, len(runs))
    return replace(base, accuracy=accuracy, judgements=judgements,
                   report=(folder / "report.html").relative_to(out).as_posix())


def link_training(folder: Path, group: Path) -> None:
    """`folder/training` -> the group's run folder, replaced atomically when it pointed at another."""
    link, target = folder / "training", Path(os.path.relpath(group, folder))
    if link.is_symlink() and Path(os.readlink(link)) == target:
        return
    with atomic_path(link) as tmp:
        tmp.unlink()
        tmp.symlink_to(target, target_is_directory=True)


def write_summary(out: Path, rows: list[Row], groups: dict[str, Group], seeds: int,
                  table: baselines.Table) -> list[SummaryRow]:
    """Each student's report, class_summary.csv, class_summary.html and groups.json; returns the rows."""
    by_roll: dict[str, list[Group]] = {}
    for group in groups.values():
        for row in group.students:
            by_roll.setdefault(row.roll, []).append(group)
    summary = [student_row(row, sorted(by_roll[row.roll], key=lambda g: g.spec.seed), out, table)
               if row.student else SummaryRow(row.line, row.roll, row.first, row.last, "invalid", error=row.error)
               for row in rows]
    write_csv(out / "class_summary.csv", SUMMARY_COLUMNS, [entry.csv_record() for entry in summary])
    write_json(out / "groups.json", {k: {"students": [r.roll for r in g.students], "seed": g.spec.seed,
                                         "status": "ok" if g.result else "failed", "error": g.error}
                                     for k, g in groups.items()})
    write_text(out / "class_summary.html", summary_page(summary, groups, seeds))
    return summary


def summary_page(summary: list[SummaryRow], groups: dict[str, Group], seeds: int) -> str:
    """class_summary.html: a line per roster row, its details folded under it; then the accuracy per variant."""
    variants = {g.spec.variant.key: g.spec.variant for g in groups.values()}
    columns = [sheet.Column("variant", "dataset, classes, conv + pool layers (the whole key opens with the row)",
                            "12em"),
               *(sheet.Column(MODEL_SHORT[m], f"{TITLES[m]} test accuracy % against its variant's baseline", "5.5em")
                 for m in CLASSIFIERS)]
    count = {status: sum(e.status == status for e in summary) for status in ("ok", "failed", "invalid")}
    intro = [Paragraph(f"{len(summary)} roster rows: {count['ok']} ok, {count['failed']} failed, {count['invalid']} "
                       f"invalid. {len(groups)} training groups ({seeds} seed(s) per variant).")]
    rows = [_summary_row(e, variants.get(e.variant_key)) for e in summary]
    return sheet.matrix_page("Class summary", intro, columns, rows, sheet.VERDICTS, _per_variant(groups))


def _summary_row(e: SummaryRow, variant: Variant | None) -> sheet.Row:
    label = (f"{DATASET_SHORT.get(variant.dataset, variant.dataset)} {''.join(map(str, variant.classes))} "
             f"{variant.conv_layers}+{variant.pool_layers}" if variant else "")
    marks = [sheet.Mark(text=label, tip=e.variant_key)]
    marks += [sheet.Mark(j.verdict, f"{100 * statistics.mean(e.accuracy[m]):.2f}",
                         f"{mean_sd(e.accuracy[m])} %, {j.verdict}: {j.why}") for m, j in e.judgements.items()]
    marks += [sheet.Mark()] * (len(CLASSIFIERS) + 1 - len(marks))  # nothing judged: failed or invalid
    details: list[Block] = [Paragraph(f"Variant `{e.variant_key}`")] if e.variant_key else []
    if e.judgements:
        baseline = e.judgements["cnn"].baseline
        baseline_from = ("none" if baseline is None else "this variant" if baseline.own
                         else f"the closest measured variant, `{baseline.key}`")
        details.append(table(["model", "test accuracy %", "verdict", f"baseline % ({baseline_from})", "why"],
                             [[TITLES[m], mean_sd(e.accuracy[m]), j.verdict,
                               mean_sd(j.upper.measured.accuracy[m]) if j.upper else "", j.why]
                              for m, j in e.judgements.items()]))
    flags = [("error", e.error)] if e.error else e.flags
    return sheet.Row(e.roll, f"{e.first} {e.last}".strip(), e.status, tuple(marks),
                     tuple(sheet.Flag(label, words) for label, words in flags), flagged=e.outlier or e.status != "ok",
                     details=tuple(details), link=Link("report", e.report) if e.report else None)


def _per_variant(groups: dict[str, Group]) -> list[Block]:
    per_variant: dict[str, dict[ClassifierName, list[float]]] = {}
    students: dict[str, int] = {}
    for g in groups.values():
        if g.result:
            stats = per_variant.setdefault(g.spec.variant.key, {m: [] for m in CLASSIFIERS})
            students[g.spec.variant.key] = len(g.students)
            for m in CLASSIFIERS:
                stats[m].append(g.result.classifier(m).test_accuracy)
    spread = [[key, str(students[key]), str(len(s["cnn"])),
               *(f"{mean_sd(s[m])} (min {pct(min(s[m]))}, max {pct(max(s[m]))})" for m in CLASSIFIERS)]
              for key, s in sorted(per_variant.items())]
    return [
        Paragraph("Each accuracy (%, mean over seeds; ± sd in its tooltip and details) is judged against its variant's "
                  "measured baseline (the grade book, docs/VARIANTS.md): a row more than "
                  f"{baselines.OUTLIER_SDS:g} spreads from it is flagged, the spread being the seeds' sd or, when "
                  "larger, the test set's sampling error (so a one-seed baseline judges too). Failed and invalid "
                  "rows are flagged too."),
        Heading(2, "Test accuracy per variant"),
        Paragraph("Mean over seeds, ± standard deviation when there are several: what a grader compares a "
                  "student's submitted numbers to."),
        table(["variant", "students", "seeds", "CNN %", "AE classifier %"], spread, sortable=True),
    ]
