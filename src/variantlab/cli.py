"""The `variantlab` command line: a thin layer of Typer over the library's functions."""

import json
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from variantlab.errors import UserError
from variantlab.exam.rules import AUGMENTATIONS, derive, variant_table
from variantlab.exam.student import DOB_HELP, parse_program, parse_roll, parse_student

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Derive a student's exam variant, train its models on the real data, write the report.")
console = Console()

DOB = typer.Option(..., "--dob", help=f"Date of birth, {DOB_HELP}.")
ROLL = typer.Option(..., "--roll", help="Roll number (B20AI052) or its last three digits (052): letters, digits, "
                    "- and _.")
PROGRAM = typer.Option(..., "--program", help="btech, mtech or phd (B.Tech, M.Tech, PhD also work).")
FIRST = typer.Option("", "--first", help="First name, for report titles.")
LAST = typer.Option("", "--last", help="Last name, for report titles.")


@app.callback()
def _group():
    """Commands: derive, data, run, sweep, check."""


@contextmanager
def user_errors(interrupted: str = "interrupted"):
    """A user's mistake becomes one line on stderr and exit status 2, never a traceback; Ctrl-C says
    `interrupted` (how to pick up where it stopped, where one can) and exits 130, as a shell reports it."""
    try:
        yield
    except UserError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    except ModuleNotFoundError as e:  # a grader's install, `pip install variantlab[check]`, has no torch
        if (e.name or "").split(".")[0] not in TRAINING_PACKAGES:
            raise
        typer.echo(f"error: this command trains or loads data, which needs {e.name} (not installed); install "
                   "variantlab with its training packages: pip install 'variantlab[train]'", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo(interrupted, err=True)
        raise typer.Exit(130) from None


RESUMES = "interrupted: the same command resumes from the last finished epoch"
TRAINING_PACKAGES = {"torch", "torchvision", "numpy", "ray"}  # the [train] extra's


@app.command("derive")
def derive_cmd(dob: str = DOB, roll: str = ROLL, program: str = PROGRAM, first: str = FIRST, last: str = LAST,
               as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table.")):
    """Print a student's exam variant: every value the rule table fixes, and why."""
    with user_errors():
        student = parse_student(dob, roll, program, first, last)
    variant = derive(student)
    if as_json:
        typer.echo(json.dumps(variant.to_dict() | {"student": student.to_dict()}, indent=2))
        return
    title = f"Variant of {student.name or student.roll} ({student.dob}, ABC {student.abc}, {student.program})"
    table = Table("aspect", "value", "why", title=title)
    for row in variant_table(variant):
        table.add_row(*row)
    console.print(table)


data_app = typer.Typer(no_args_is_help=True, help="Find, verify, import and look at the datasets.")
app.add_typer(data_app, name="data")
DATASET = typer.Option(..., "--dataset", help="fashion_mnist, mnist or cifar10.")
CLASSES = typer.Option("1,3,5,7,9", "--classes", help="The five classes, comma-separated.")
DATA_DIR = typer.Option(None, "--data-dir", help="A folder holding the dataset's files; used alone when given.")


def parse_classes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(c) for c in text.split(","))
    except ValueError:
        raise UserError(f"classes {text!r} must be comma-separated integers, e.g. 1,3,5,7,9") from None


@data_app.command("info")
def data_info(dataset: str = DATASET, classes: str = CLASSES, data_dir: str = DATA_DIR,
              as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")):
    """Where the dataset's files were found, and the sizes of the class subset."""
    with user_errors():
        from variantlab.data.datasets import load, select_classes

        subset = select_classes(load(dataset, data_dir), parse_classes(classes))
    train, test = subset.class_counts(subset.train), subset.class_counts(subset.test)
    if as_json:
        typer.echo(json.dumps({"dataset": dataset, "source": subset.source, "classes": list(subset.classes),
                               "train_size": len(subset.train.labels), "test_size": len(subset.test.labels),
                               "train_class_counts": train, "test_class_counts": test}, indent=2))
        return
    console.print(f"[bold]{dataset}[/] from {subset.source}")
    table = Table("class", "train", "test")
    for name, count in train.items():
        table.add_row(name, str(count), str(test[name]))
    table.add_row("[bold]total", str(len(subset.train.labels)), str(len(subset.test.labels)))
    console.print(table)


@data_app.command("import")
def data_import(folder: str = typer.Argument(..., help="A folder holding the dataset's files (plain or .gz)."),
                dataset: str = DATASET):
    """Verify a folder of dataset files and copy it into variantlab's cache; every command then finds it."""
    with user_errors():
        from variantlab.data.datasets import import_folder

        target = import_folder(dataset, Path(folder))
    typer.echo(f"{dataset}: verified and imported into {target}")


@data_app.command("show")
def data_show(dataset: str = DATASET, classes: str = CLASSES, data_dir: str = DATA_DIR,
              augmentation: str = typer.Option("flip_random_noise", "--augmentation",
                                               help="An augmentation of the rule table: "
                                               + ", ".join(AUGMENTATIONS) + "."),
              profile: str = typer.Option("fast", "--profile", help="Whose noise settings: fast or faithful."),
              seed: int = typer.Option(0, "--seed"), out: str = typer.Option("augmentation.png", "--out")):
    """Draw the augmentation grid (original, geometric, noise, both) of a few training images."""
    with user_errors():
        import torch

        from variantlab.data.augment import for_variant
        from variantlab.data.datasets import load, select_classes, to_float
        from variantlab.report.figures import augmentation_grid
        from variantlab.training.config import get_profile

        p = get_profile(profile)
        aug = for_variant(augmentation, p.random_noise, p.noise_strength, p.noise_clip)
        subset = select_classes(load(dataset, data_dir), parse_classes(classes))
    generator = torch.Generator().manual_seed(seed)
    pick = torch.randperm(len(subset.train.labels), generator=generator)[:8]
    augmentation_grid(to_float(subset.train.images[pick]), aug, generator, Path(out))
    typer.echo(f"wrote {out}")


def parse_settings(items: list[str]) -> dict:
    settings = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"--set {item!r} must look like KEY=VALUE, e.g. --set cnn.lr=0.002")
        settings[key.strip()] = value.strip()
    return settings


@app.command("run")
def run_cmd(dob: str = DOB, roll: str = ROLL, program: str = PROGRAM, first: str = FIRST, last: str = LAST,
            profile: str = typer.Option("fast", "--profile", help="fast (the default, tuned) or faithful "
                                        "(the reference solution exactly)."),
            seed: int = typer.Option(0, "--seed"),
            epochs: int = typer.Option(None, "--epochs", help="Epochs for every model (a quick look)."),
            train_limit: int = typer.Option(None, "--train-limit", help="Use only the first N training images."),
            device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
            out: str = typer.Option(None, "--out", help="Output folder [default: runs/<roll>-<profile>-<seed>]."),
            data_dir: str = DATA_DIR,
            settings: list[str] = typer.Option([], "--set", help="Override one profile setting, KEY=VALUE "
                                               "(e.g. cnn.lr=0.002, epochs=3, precision=fp32); repeatable.")):
    """Train the variant's CNN, autoencoder and AE classifier and write the report folder."""
    from variantlab.errors import TrainingDiverged
    with user_errors(RESUMES):
        from variantlab.pipeline import run

        try:
            result = run(dob, roll, program, first, last, profile=profile, seed=seed, epochs=epochs,
                          train_limit=train_limit, device=device, out=out, data_dir=data_dir,
                          settings=parse_settings(settings))
        except TrainingDiverged as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from None
    folder = result.folder or Path(".")
    console.print(f"CNN test accuracy [bold]{100 * result.cnn.test_accuracy:.2f} %[/], "
                  f"AE classifier [bold]{100 * result.ae_classifier.test_accuracy:.2f} %[/], "
                  f"autoencoder test MSE {result.autoencoder.test_mse:.4f}")
    console.print(f"{result.timings['total_seconds']:.0f} s on {result.device_name}; "
                  f"report: {folder / 'report.html'} and {folder / 'report.pdf'}")


@app.command("sweep")
def sweep_cmd(roster: str = typer.Argument(..., help="CSV with a header: roll, dob, program, optional first, last."),
              profile: str = typer.Option("fast", "--profile", help="fast or faithful."),
              seeds: int = typer.Option(1, "--seeds", help="Train every variant with seeds 0..N-1."),
              epochs: int = typer.Option(None, "--epochs", help="Epochs for every model (a quick look)."),
              train_limit: int = typer.Option(None, "--train-limit", help="Use only the first N training images."),
              address: str = typer.Option(None, "--address", help="An existing Ray cluster (e.g. 10.0.0.5:6379); "
                                          "default: a local Ray on this machine."),
              cpus_per_run: float = typer.Option(1, "--cpus-per-run", help="CPUs Ray reserves per training group."),
              gpus_per_run: float = typer.Option(0, "--gpus-per-run", help="GPUs per group (trains on CUDA if > 0)."),
              out: str = typer.Option(None, "--out", help="Output folder [default: sweeps/<roster name>]."),
              data_dir: str = DATA_DIR,
              settings: list[str] = typer.Option([], "--set", help="Override one profile setting, KEY=VALUE.")):
    """Train a whole class on Ray: each distinct variant once, a report per student, a class summary."""
    with user_errors(RESUMES):
        from variantlab.course.sweep import sweep, sweep_out

        rows = sweep(roster, profile=profile, seeds=seeds, epochs=epochs, train_limit=train_limit, address=address,
                     cpus_per_run=cpus_per_run, gpus_per_run=gpus_per_run, out=out, data_dir=data_dir,
                     settings=parse_settings(settings))
    counts = {s: sum(r.status == s for r in rows) for s in ("ok", "failed", "invalid")}
    console.print(f"{len(rows)} students: {counts['ok']} ok, {counts['failed']} failed, {counts['invalid']} invalid; "
                  f"summary: {sweep_out(roster, out) / 'class_summary.html'}")
    for r in rows:
        if r.status != "ok":
            console.print(f"  line {r.line} {r.roll or '(no roll)'}: {r.status}: {r.error}", highlight=False)
    if counts["ok"] != len(rows):
        raise typer.Exit(1)


VERDICT_STYLE = {"ok": "green", "plausible": "green", "violates": "bold red", "contradicts": "bold yellow",
                 "impossible_for_n": "bold red", "above_measured": "bold yellow", "below_measured": "bold yellow",
                 "not_judged_low": "yellow"}


@app.command("check")
def check_cmd(submission: str = typer.Argument(..., help="A notebook, script, PDF, Markdown or text file, or a "
                                               "folder read as one submission (with --roster: a class's folder)."),
              dob: str = typer.Option(None, "--dob", help=f"Date of birth, {DOB_HELP}."),
              roll: str = typer.Option(None, "--roll", help="Roll number (or its last three digits)."),
              program: str = typer.Option(None, "--program", help="btech, mtech or phd."),
              roster: str = typer.Option(None, "--roster", help="A class's roster CSV (roll, dob, program, first, "
                                         "last): check every submission in the folder against its student."),
              out: str = typer.Option(None, "--out", help="With --roster: the output folder "
                                      "[default: checks/<folder name>]."),
              workers: int | None = typer.Option(None, "--workers",
                                                 help="With --roster: processes [default: one a CPU]."),
              rubric: str = typer.Option(None, "--rubric", help="A rubric (TOML) to mark by [default: the exam "
                                         "paper's, rubric_default.toml]."),
              moodle: str = typer.Option(None, "--moodle-worksheet", help="With --roster: Moodle's grading "
                                         "worksheet (CSV) downloaded from the assignment, to fill in with the marks."),
              canvas: str | None = typer.Option(None, "--canvas", help="With --roster: write a Canvas gradebook import "
                                                "for this assignment name."),
              canvas_export: str = typer.Option(None, "--canvas-export", help="With --canvas: a gradebook exported "
                                                "from Canvas, whose students and ids to keep."),
              provisional: bool = typer.Option(False, "--provisional", help="Export totals even where manual items "
                                               "wait for the grader."),
              as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables.")):
    """Check submissions against each student's own variant: aspects, claimed accuracies, findings, marks.
    Nothing in a submission is run: code is parsed, notebooks and PDFs are read as data."""
    with user_errors("interrupted before the check was written; run the same command again"):
        given = [dob, roll, program]
        if roster:
            if any(given):
                raise UserError("--roster gives every student's details: --dob, --roll and --program are for one "
                                "submission")
            from variantlab.check.grading import check_class

            summary = check_class(Path(submission), Path(roster), out=out, workers=workers,
                                  rubric_file=Path(rubric) if rubric else None,
                                  exports=gradebook_exports(moodle, canvas, canvas_export, provisional))
            typer.echo(summary.words())
            return
        from variantlab.check.check import Identity, check_submission
        from variantlab.check.submission import read_submission

        if out or workers is not None or moodle or canvas is not None or canvas_export or provisional:
            raise UserError("--out, --workers, the gradebook exports and --provisional are for a class (--roster); "
                            "one submission prints its check")
        if (roll is None) != (program is None) or (dob and not roll):
            raise UserError("give --roll and --program together (and --dob, or the aspects it decides stay "
                            "unknown), or none of them: then the submission's own details are used")
        identity = None
        if roll and program:
            identity = Identity.of(parse_student(dob, roll, program)) if dob else Identity(
                *parse_roll(roll), parse_program(program), None, given=True)
        result = check_submission(read_submission(Path(submission)), identity)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    print_check(result)
    with user_errors():
        print_marks(result, Path(rubric) if rubric else None)


def gradebook_exports(moodle: str | None, canvas: str | None, canvas_export: str | None, provisional: bool) -> list:
    """The exports a class check writes into its folder: Moodle's worksheet filled in, a Canvas import."""
    from variantlab.check import exports

    if canvas is not None and not canvas.strip():
        raise UserError("--canvas needs the assignment's name in Canvas, e.g. --canvas 'Minor 1'")
    if canvas_export and not canvas:
        raise UserError("--canvas-export needs --canvas NAME, the assignment's name in Canvas")
    chosen = []
    if moodle:
        chosen.append(lambda graded, marking, out: exports.moodle_worksheet(
            Path(moodle), graded, out / "moodle_grades.csv", provisional).words())
    if canvas:
        chosen.append(lambda graded, marking, out: exports.canvas_gradebook(
            graded, out / "canvas_grades.csv", canvas, marking.maximum, Path(canvas_export) if canvas_export else None,
            provisional).words())
    return chosen


def shown(value) -> str:
    """A value as a grader reads it: 1, 3, 5, 7, 9 for a list; the word itself for a name."""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def print_check(result) -> None:
    """One submission's check as its student or grader reads it. Every string that came from the
    submission is escaped: a student's `[/]` is text, not markup."""
    who = result.identity
    agree = {True: "agree", False: "[bold red]do not agree[/]", None: "are not stated"}[result.details_agree] \
        if who.given else "were used"
    dob = who.dob or "no date of birth: the aspects it decides are not checked"
    console.print(f"[bold]{escape(result.file)}[/]: checked against {escape(who.name or who.roll)} ({dob}, "
                  f"{escape(who.roll)}, {who.program}); the submission's own details {agree}")
    table = Table("aspect", "required", "code", "text", "verdict", "where", title="Aspects")
    for aspect, c in result.aspects.items():
        style = VERDICT_STYLE.get(c.verdict, "")
        verdict = f"[{style}]{c.verdict}[/]" if style else c.verdict
        table.add_row(aspect, "?" if c.required is None else shown(c.required),
                      escape("" if c.code is None else shown(c.code)), escape("; ".join(map(shown, c.text))),
                      verdict, escape("; ".join(f.where for f in c.evidence[:2])),
                      style="dim" if c.verdict in ("not_found", "unknown") else None)
    console.print(table)
    claims = Table("model", "claimed", "verdict", "why", title="Claimed test accuracies (the final one judged)")
    for model, j in result.judgement.items():
        style = VERDICT_STYLE.get(j.verdict, "")
        claims.add_row(model, "" if j.claimed is None else f"{100 * j.claimed:.2f} %",
                       f"[{style}]{j.verdict}[/]" if style else j.verdict, escape(j.why))
    console.print(claims)
    if len(result.statements) > sum(j.claimed is not None for j in result.judgement.values()):
        listed = Table("network", "claimed", "scope", "source", "where", title="Every accuracy statement read")
        for c in result.statements:
            listed.add_row(c.network or "[yellow]unattributed[/]", f"{100 * c.value:.2f} %",
                           "per class" if c.per_class else "overall", "output" if c.printed else "text",
                           escape(c.found.where))
        console.print(listed)
    if result.hyperparameters:
        chosen = Table("network", "hyperparameter", "value", "where", title="Hyperparameters the code trains with")
        for network, names in result.hyperparameters.items():
            for name, found in names.items():
                chosen.add_row(network, name, escape(", ".join(shown(f.value) for f in found)),
                               escape(found[0].where))
        console.print(chosen)
    for finding in result.findings:
        console.print(f"- {finding}", highlight=False, markup=False)
    if not result.findings:
        console.print("no findings")


def print_marks(result, rubric_file: Path | None) -> None:
    """What the rubric gives the submission so far, and in plain words what to look at before handing it in."""
    from variantlab.check import rubric
    from variantlab.check.plain import Finding

    marking = rubric.load_rubric(rubric_file)
    marks = rubric.mark(result.to_json(), marking)
    waiting = sum(m.item.points for m in marks.marks if m.points is None)
    console.print(f"\n[bold]Marks the checker can give: {marks.total:g} of {marking.maximum - waiting:g}[/] "
                  f"({waiting:g} more are the grader's to give: clarity, understanding, the code running). "
                  "Before you hand it in, look at:", highlight=False)
    lost = [m for m in marks.marks if m.points is not None and m.points < m.item.points]
    for m in lost:
        console.print(f"- {m.item.title}: {m.points:g} of {m.item.points:g}. {m.why}", highlight=False, markup=False)
    for finding in result.findings:
        words = Finding.of(finding).words
        if words != finding:
            console.print(f"- {words}", highlight=False, markup=False)
    if not lost:
        console.print("- nothing: every item the checker can mark has its full marks")
