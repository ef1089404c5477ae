"""The report the exam asks for: one list of blocks (document.py), rendered as report.md, report.html
(images embedded) and report.pdf (A4), so the three always say the same thing."""

import os
import statistics
from dataclasses import fields
from pathlib import Path

from variantlab.atomic import write_text
from variantlab.exam.rules import AUGMENTATION_NAMES, DATASET_NAMES, aspect_values, variant_table
from variantlab.exam.student import PROGRAMS
from variantlab.report.document import Block, Figure, Heading, Paragraph, table, title_of, to_html, to_markdown
from variantlab.report.figures import FIGURES, path_of
from variantlab.training.baselines import Judgement, Measured, reference_numbers
from variantlab.training.config import CLASSIFIERS, REASONS, TITLES, ClassifierName, TrainConfig
from variantlab.training.results import ClassifierResult, RunResult


def pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def mean_sd(values: list[float] | tuple[float, ...]) -> str:
    """Accuracies as percent: the mean, ± the sample standard deviation when there are several."""
    sd = f" ± {100 * statistics.stdev(values):.2f}" if len(values) > 1 else ""
    return f"{100 * statistics.mean(values):.2f}{sd}"


def measured_words(measured: Measured, model: ClassifierName) -> str:
    seeds = len(measured.seeds)
    return f"{mean_sd(measured.accuracy[model])} % ({seeds} seed{'s' * (seeds > 1)})"


def _train_words(cfg: TrainConfig) -> str:
    schedule = f"one-cycle (warm-up {cfg.warmup:.0%}, cosine)" if cfg.schedule == "onecycle" else "constant"
    extra = f", label smoothing {cfg.label_smoothing}" if cfg.label_smoothing else ""
    extra += f", weights' moving average (decay {cfg.ema:g})" if cfg.ema else ""
    return (f"{cfg.optimizer} lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}, {schedule}, batch {cfg.batch_size}, "
            f"{cfg.epochs} epochs{extra}")


def settings_rows(result: RunResult) -> list[list[str]]:
    """(setting, value, why): the profile's reason beside each value it chose; a value changed for this
    run (`--set`, `--epochs`) is marked so, with no reason nobody gave; precision says what ran."""
    profile = result.profile
    reasons = REASONS[profile.name]
    rows = []
    for f in fields(profile):
        if f.name == "name":
            continue
        value = getattr(profile, f.name)
        words = _train_words(value) if isinstance(value, TrainConfig) else str(value)
        if f.name == "precision" and result.precision_used != value:
            words = f"{result.precision_used} ran (the profile's {value} runs only where it pays: CUDA, AMX CPUs)"
        mine = [c for c in result.changed_settings if c == f.name or c.startswith(f"{f.name}.")]
        changed_words = f"**changed for this run** ({', '.join(mine)}): not the profile's choice"
        rows.append([f.name, words, changed_words if mine else reasons.get(f.name, "")])
    return rows


def figure(folder: Path, name: str) -> Figure:
    return Figure(path_of(folder, name), FIGURES[name][1])


def classifier_blocks(name: ClassifierName, c: ClassifierResult, figures: Path) -> list[Block]:
    return [figure(figures, f"{name}_curves"),
            table(["class", "test accuracy"], [[k, pct(a)] for k, a in c.per_class_accuracy.items()]),
            figure(figures, f"{name}_confusion"), figure(figures, f"{name}_misclassified")]


def build_blocks(result: RunResult, figures: Path, judgements: dict[ClassifierName, Judgement]) -> list[Block]:
    """The whole report, top to bottom."""
    variant, student, data = result.variant, result.student, result.data
    cnn, ae, aec = result.cnn, result.autoencoder, result.ae_classifier
    gap = cnn.test_accuracy - aec.test_accuracy
    return [
        Heading(1, f"Minor 1: {student.name or student.roll} ({student.roll})"),
        Paragraph(f"Profile `{result.profile.name}`, seed {result.seed}, trained on {result.device_name} "
                  f"({result.device}), torch {result.versions.torch}, {result.finished}."),
        Heading(2, "Student"),
        table(["detail", "value"], [["date of birth (DD/MM/YY)", student.dob], ["roll number", student.roll],
                                    ["ABC", student.abc], ["programme", PROGRAMS[student.program]]]),
        Heading(2, "Variant: what follows from the details"),
        table(["aspect", "value", "why"], variant_table(variant)),
        Heading(2, "Hyperparameters and why"),
        Paragraph("The rule table fixes the layer counts, the first layer's filters, the FC widths, the pooling and "
                  "the initialisation; every other choice (the CNN's kernel, padding and pool placement included) "
                  "is the profile's, listed here with its reason."),
        table(["setting", "value", "why"], settings_rows(result)),
        Heading(2, "Data"),
        Paragraph(f"{DATASET_NAMES[variant.dataset]} from {data.source}: {data.train_size} training images "
                  f"({data.val_size} more held out for validation), {data.test_size} test images, pixels in [0, 1]. "
                  f"Augmentation: {AUGMENTATION_NAMES[variant.augmentation]}, {data.augmentation}."),
        table(["class", "training", "test"],
              [[c, str(n), str(data.test_class_counts[c])] for c, n in data.train_class_counts.items()]),
        figure(figures, "augmentation"),
        Heading(2, "Question 1: the CNN"),
        Paragraph(f"{cnn.architecture}. {cnn.parameters:,} parameters. Test accuracy **{pct(cnn.test_accuracy)}**, "
                  f"test loss {cnn.test_loss:.4f}; {cnn.train_seconds:.1f} s of training."),
        *classifier_blocks("cnn", cnn, figures),
        Heading(2, "Question 2: the autoencoder"),
        Paragraph(f"{ae.architecture}. Reconstruction MSE on the clean test images {ae.test_mse:.4f}, on noised "
                  f"test images {ae.test_mse_noisy:.4f} (against the clean image); {ae.train_seconds:.1f} s of "
                  "training."),
        figure(figures, "autoencoder_curves"), figure(figures, "reconstructions"),
        Heading(2, "Question 2: the classifier on the encoder"),
        Paragraph(f"{aec.architecture}, mode `{aec.mode}`. {aec.parameters:,} parameters. Test accuracy "
                  f"**{pct(aec.test_accuracy)}**, test loss {aec.test_loss:.4f}; {aec.train_seconds:.1f} s of "
                  "training."),
        *classifier_blocks("ae_classifier", aec, figures),
        Heading(2, "Comparison"),
        Paragraph(f"The CNN {'beats' if gap > 0 else 'trails'} the AE classifier by {abs(100 * gap):.2f} points of "
                  f"test accuracy: convolutions see local shape, the fully connected encoder sees "
                  f"{variant.ae_layers} dense layers squeezed to a 32-unit code."),
        figure(figures, "comparison"), figure(figures, "accuracies"),
        *baseline_blocks(result, judgements),
        Heading(2, "Timings and device"),
        table(["stage", "seconds"], [[k.removesuffix("_seconds"), f"{v:.1f}"] for k, v in result.timings.items()]),
        Paragraph(f"Device {result.device_name} ({result.device}), precision used {result.precision_used}, "
                  f"torch {result.versions.torch}, torchvision {result.versions.torchvision}, "
                  f"Python {result.versions.python}. Exported models: `models/cnn.pt2`, `models/ae_classifier.pt2` "
                  "(`torch.export.load(path).module()`; float images in [0, 1] in, one logit per output out)."),
    ]


VERDICT_WORDS = {"plausible": "within the baseline's reach", "above_measured": "above the baseline's reach",
                 "below_measured": "below the baseline's reach", "no_baseline": "no baseline",
                 "not_judged_low": "below the tuned profile's reach (the reference protocol was not measured here)"}


def baseline_blocks(result: RunResult, judgements: dict[ClassifierName, Judgement]) -> list[Block]:
    """This run beside its variant's measured numbers, with each classifier's verdict; the reference report's
    numbers only for the reference variant."""
    baseline = judgements["cnn"].baseline
    ref = reference_numbers(result.variant)
    this_run = f"this run ({result.profile.name}, seed {result.seed})"
    blocks: list[Block] = [Heading(3, "Against measured baselines")]
    if baseline is None and ref is None:
        values = aspect_values(result.variant)
        return [*blocks, Paragraph(
            f"No baseline: no run of this variant, nor of another with the same dataset ({values['dataset']}) and "
            f"classes ({values['classes']}), has been measured under `{result.profile.name}` yet. `variantlab run "
            "... --profile faithful` trains the reference solution's protocol on this variant; its results.json is "
            "the baseline to compare this run with.")]
    profiles = baseline.profiles if baseline else {}
    header = ["measure", this_run, *(baseline.label(p) for p in profiles)] if baseline else [
        "measure", this_run]
    header += ["reference report"] if ref else []
    rows = [[f"{TITLES[m]} test accuracy", pct(result.classifier(m).test_accuracy),
             *(measured_words(measured, m) for measured in profiles.values()),
             *([pct(ref[f"{m}_test_accuracy"])] if ref else [])] for m in CLASSIFIERS]
    if ref:
        blank = [""] * len(profiles)
        last = {m: result.history(m)[-1] for m in ("cnn", "autoencoder", "ae_classifier")}
        first_ae = result.autoencoder.history[0]
        rows += [
            ["CNN final training accuracy / loss", f"{last['cnn'].train_accuracy:.4f} / {last['cnn'].train_loss:.4f}",
             *blank, f"{ref['cnn_train_accuracy']:.4f} / {ref['cnn_train_loss']:.4f}"],
            ["AE reconstruction loss, first and last epoch", f"{first_ae.train_loss:.3f} and "
             f"{last['autoencoder'].train_loss:.3f}", *blank, f"{ref['ae_mse_epoch_1']:.3f} and "
             f"{ref['ae_mse_last_epoch']:.3f}"],
            ["AE classifier final training accuracy / loss", f"{last['ae_classifier'].train_accuracy:.4f} / "
             f"{last['ae_classifier'].train_loss:.4f}", *blank,
             f"{ref['ae_classifier_train_accuracy']:.4f} / {ref['ae_classifier_train_loss']:.4f}"]]
    if baseline is None:
        where = (f"This is the reference report's variant; no run of it under `{result.profile.name}` has been "
                 "measured here yet.")
    else:
        measured = "; ".join(f"{name} on {m.machine}, {statistics.mean(m.seconds):.0f} s of training a run"
                             for name, m in profiles.items())
        where = (f"Baselines measured on this very variant (`{baseline.key}`): {measured}." if baseline.own else
                 f"This variant has not been measured; the baselines are those of {baseline.where()}, which "
                 f"has the same dataset and classes and differs in: {baseline.differs()}. "
                 f"Measured {measured}.")
    blocks += [Paragraph(where), table(header, rows)]
    blocks += [Paragraph(f"**{TITLES[m]}: {VERDICT_WORDS[j.verdict]}.** {j.why[0].upper()}{j.why[1:]}.")
               for m, j in judgements.items() if j.verdict != "no_baseline"]
    unlike = [f"changed {', '.join(result.changed_settings)}"] if result.changed_settings else []
    unlike += [f"trained on the first {result.train_limit} images only"] if result.train_limit else []
    if unlike:
        blocks.append(Paragraph(f"**Not like for like:** this run {' and '.join(unlike)}; the baselines used the "
                                "profiles' own settings and every training image."))
    if ref and result.profile.name != "faithful":
        blocks.append(Paragraph("This run's training accuracy and loss do not compare with the reference report's: "
                                "the reference (and `faithful`) trained on its images plus copies noised with std "
                                "1.0; test accuracy compares."))
    return blocks


def write_report(folder: Path, result: RunResult, figures: Path, judgements: dict[ClassifierName, Judgement]) -> Path:
    """report.md (images linked relative to `folder`), report.html (images embedded) and report.pdf (A4)
    in `folder`; returns the HTML's path."""
    from variantlab.report.pdf import to_pdf

    blocks = build_blocks(result, figures, judgements)
    prefix = Path(os.path.relpath(figures, folder)).as_posix() + "/"
    write_text(folder / "report.md", to_markdown(blocks, prefix))
    to_pdf(blocks, title_of(blocks), folder / "report.pdf")
    return write_text(folder / "report.html", to_html(blocks))
