"""The report the exam asks for, as Markdown and as self-contained HTML (images embedded).

Both are rendered from one list of blocks, so they always say the same thing.
"""

import base64
import html
import os
import statistics
from pathlib import Path

from variantlab import baselines
from variantlab.atomic import write_text
from variantlab.config import REASONS, TrainConfig
from variantlab.rules import AUGMENTATION_NAMES, DATASET_NAMES, Variant, aspect_values, variant_table
from variantlab.student import PROGRAMS

FIGURES = {
    "augmentation": ("augmentation.png", "Training-image augmentation, one row per kind"),
    "cnn_curves": ("cnn_curves.png", "CNN: loss and accuracy per epoch"),
    "cnn_confusion": ("cnn_confusion.png", "CNN: confusion matrix on the test set"),
    "cnn_misclassified": ("cnn_misclassified.png", "CNN: misclassified test images"),
    "autoencoder_curves": ("autoencoder_curves.png", "Autoencoder: reconstruction loss (MSE) per epoch"),
    "reconstructions": ("reconstructions.png", "Autoencoder: test images and reconstructions, clean and noisy"),
    "ae_classifier_curves": ("ae_classifier_curves.png", "AE classifier: loss and accuracy per epoch"),
    "ae_classifier_confusion": ("ae_classifier_confusion.png", "AE classifier: confusion matrix on the test set"),
    "ae_classifier_misclassified": ("ae_classifier_misclassified.png", "AE classifier: misclassified test images"),
    "comparison": ("comparison.png", "CNN against AE classifier, per epoch"),
    "accuracies": ("accuracies.png", "Test accuracies beside the measured baselines (named below)"),
}


TITLES = {"cnn": "CNN", "ae_classifier": "AE classifier"}  # the two classifiers, as the report names them


def pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _train_words(t: dict) -> str:
    cfg = TrainConfig(**t)
    schedule = f"one-cycle (warm-up {cfg.warmup:.0%}, cosine)" if cfg.schedule == "onecycle" else "constant"
    extra = f", label smoothing {cfg.label_smoothing}" if cfg.label_smoothing else ""
    extra += f", weights' moving average (decay {cfg.ema:g})" if cfg.ema else ""
    return (f"{cfg.optimizer} lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}, {schedule}, batch {cfg.batch_size}, "
            f"{cfg.epochs} epochs{extra}")


def settings_rows(results: dict) -> list[list[str]]:
    """(setting, value, why): the profile's reason beside each value it chose; a value changed for this
    run (`--set`, `--epochs`) is marked so, with no reason nobody gave; precision says what ran."""
    profile, changed = results["settings"], results.get("changed_settings", [])
    reasons = REASONS[profile["name"]]
    rows = []
    for key, value in profile.items():
        if key == "name":
            continue
        words = _train_words(value) if isinstance(value, dict) else str(value)
        if key == "precision" and results["precision_used"] != value:
            words = f"{results['precision_used']} ran (the profile's {value} runs only where it pays: CUDA, AMX CPUs)"
        mine = [c for c in changed if c == key or c.startswith(f"{key}.")]
        changed_words = f"**changed for this run** ({', '.join(mine)}): not the profile's choice"
        why = changed_words if mine else reasons.get(key, "")
        rows.append([key, words, why])
    return rows


def build_blocks(results: dict, figures: Path) -> list[tuple]:
    """The report as blocks: ("h", level, text), ("p", text), ("table", header, rows), ("img", path, caption)."""
    variant, student = Variant.from_dict(results["variant"]), results["student"]
    profile, data = results["settings"], results["data"]
    cnn, ae, aec = results["cnn"], results["autoencoder"], results["ae_classifier"]
    name = " ".join(p for p in (student.get("first"), student.get("last")) if p) or student["roll"]
    b: list[tuple] = [
        ("h", 1, f"Minor 1: {name} ({student['roll']})"),
        ("p", f"Profile `{profile['name']}`, seed {results['seed']}, trained on {results['device_name']} "
              f"({results['device']}), torch {results['versions']['torch']}, {results['finished']}."),
        ("h", 2, "Student"),
        ("table", ["detail", "value"], [["date of birth (DD/MM/YY)", student["dob"]], ["roll number", student["roll"]],
                                        ["ABC", student["abc"]], ["programme", PROGRAMS[student["program"]]]]),
        ("h", 2, "Variant: what follows from the details"),
        ("table", ["aspect", "value", "why"], [list(r) for r in variant_table(variant)]),
        ("h", 2, "Hyperparameters and why"),
        ("p", "The rule table fixes the layer counts, the first layer's filters, the FC widths, the pooling and the "
              "initialisation; every other choice (the CNN's kernel, padding and pool placement included) is the "
              "profile's, listed here with its reason."),
        ("table", ["setting", "value", "why"], settings_rows(results)),
        ("h", 2, "Data"),
        ("p", f"{DATASET_NAMES[variant.dataset]} from {data['source']}: {data['train_size']} training images "
              f"({data['val_size']} more held out for validation), {data['test_size']} test images, pixels in [0, 1]. "
              f"Augmentation: {AUGMENTATION_NAMES[variant.augmentation]}, {data['augmentation']}."),
        ("table", ["class", "training", "test"],
         [[c, str(n), str(data["test_class_counts"][c])] for c, n in data["train_class_counts"].items()]),
        ("img", figures / FIGURES["augmentation"][0], FIGURES["augmentation"][1]),
        ("h", 2, "Question 1: the CNN"),
        ("p", f"{cnn['architecture']}. {cnn['parameters']:,} parameters. Test accuracy **{pct(cnn['test_accuracy'])}**, "
              f"test loss {cnn['test_loss']:.4f}; {cnn['train_seconds']:.1f} s of training."),
    ]
    for key, model in (("cnn", cnn), ("ae_classifier", aec)):
        if key == "ae_classifier":
            b += [("h", 2, "Question 2: the autoencoder"),
                  ("p", f"{ae['architecture']}. Reconstruction MSE on the clean test images {ae['test_mse']:.4f}, "
                        f"on noised test images {ae['test_mse_noisy']:.4f} (against the clean image); "
                        f"{ae['train_seconds']:.1f} s of training."),
                  ("img", figures / FIGURES["autoencoder_curves"][0], FIGURES["autoencoder_curves"][1]),
                  ("img", figures / FIGURES["reconstructions"][0], FIGURES["reconstructions"][1]),
                  ("h", 2, "Question 2: the classifier on the encoder"),
                  ("p", f"{aec['architecture']}, mode `{aec['mode']}`. {aec['parameters']:,} parameters. "
                        f"Test accuracy **{pct(aec['test_accuracy'])}**, test loss {aec['test_loss']:.4f}; "
                        f"{aec['train_seconds']:.1f} s of training.")]
        b += [("img", figures / FIGURES[f"{key}_curves"][0], FIGURES[f"{key}_curves"][1]),
              ("table", ["class", "test accuracy"], [[c, pct(a)] for c, a in model["per_class_accuracy"].items()]),
              ("img", figures / FIGURES[f"{key}_confusion"][0], FIGURES[f"{key}_confusion"][1]),
              ("img", figures / FIGURES[f"{key}_misclassified"][0], FIGURES[f"{key}_misclassified"][1])]
    gap = cnn["test_accuracy"] - aec["test_accuracy"]
    b += [
        ("h", 2, "Comparison"),
        ("p", f"The CNN {'beats' if gap > 0 else 'trails'} the AE classifier by {abs(100 * gap):.2f} points of test "
              f"accuracy: convolutions see local shape, the fully connected encoder sees {variant.ae_layers} dense "
              f"layers squeezed to a 32-unit code."),
        ("img", figures / FIGURES["comparison"][0], FIGURES["comparison"][1]),
        ("img", figures / FIGURES["accuracies"][0], FIGURES["accuracies"][1]),
        *baseline_blocks(results),
        ("h", 2, "Timings and device"),
        ("table", ["stage", "seconds"], [[k.removesuffix("_seconds"), f"{v:.1f}"] for k, v in results["timings"].items()]),
        ("p", f"Device {results['device_name']} ({results['device']}), precision used {results['precision_used']}, "
              f"torch {results['versions']['torch']}, torchvision {results['versions']['torchvision']}, "
              f"Python {results['versions']['python']}. Exported models: `models/cnn.pt2`, `models/ae_classifier.pt2` "
              "(`torch.export.load(path).module()`; float images in [0, 1] in, one logit per output out)."),
    ]
    return b


def baseline_label(baseline: baselines.Baseline, profile: str) -> str:
    return f"{profile}, {'this variant' if baseline.own else 'closest measured variant'}"


def baseline_series(variant: Variant) -> dict[str, dict[str, tuple[float, float | None]]]:
    """The accuracies figure's baselines: label -> model title -> (mean, sd or None)."""
    baseline = baselines.for_variant(variant)
    if baseline is None:
        return {}
    series = {baseline_label(baseline, name): {TITLES[m]: (measured.mean(m), measured.sd(m)) for m in TITLES}
              for name, measured in baseline.profiles.items()}
    if baseline.reference_report:
        series["reference report"] = {TITLES[m]: (baseline.reference_report[f"{m}_test_accuracy"], None)
                                      for m in TITLES}
    return series


def baseline_blocks(results: dict) -> list[tuple]:
    """This run beside its variant's measured numbers; the reference report's only for the reference variant."""
    variant = Variant.from_dict(results["variant"])
    cnn, ae, aec = results["cnn"], results["autoencoder"], results["ae_classifier"]
    baseline = baselines.for_variant(variant)
    values = aspect_values(variant)
    if baseline is None:
        return [("p", f"No baseline: no run of this variant, nor of another with the same dataset "
                      f"({values['dataset']}) and classes ({values['classes']}), has been measured yet. "
                      "`variantlab run ... --profile faithful` trains the reference solution's protocol on this "
                      "variant; its results.json is the baseline to compare this run with.")]
    ref = baseline.reference_report
    this_run = f"this run ({results['settings']['name']}, seed {results['seed']})"
    header = ["measure", this_run, *(baseline_label(baseline, p) for p in baseline.profiles)]
    header += ["reference report"] if ref else []
    blank = [""] * len(baseline.profiles)
    rows = [[f"{title} test accuracy", pct(run["test_accuracy"]), *(m.words(key) for m in baseline.profiles.values()),
             *([pct(ref[f"{key}_test_accuracy"])] if ref else [])]
            for key, title, run in (("cnn", "CNN", cnn), ("ae_classifier", "AE classifier", aec))]
    if ref:
        rows += [
            ["CNN final training accuracy / loss", f"{cnn['history'][-1]['train_accuracy']:.4f} / "
             f"{cnn['history'][-1]['train_loss']:.4f}", *blank,
             f"{ref['cnn_train_accuracy']:.4f} / {ref['cnn_train_loss']:.4f}"],
            ["AE reconstruction loss, first and last epoch", f"{ae['history'][0]['train_loss']:.3f} and "
             f"{ae['history'][-1]['train_loss']:.3f}", *blank,
             f"{ref['ae_mse_epoch_1']:.3f} and {ref['ae_mse_last_epoch']:.3f}"],
            ["AE classifier final training accuracy / loss", f"{aec['history'][-1]['train_accuracy']:.4f} / "
             f"{aec['history'][-1]['train_loss']:.4f}", *blank,
             f"{ref['ae_classifier_train_accuracy']:.4f} / {ref['ae_classifier_train_loss']:.4f}"]]
    measured = "; ".join(f"{name} on {m.machine}, {statistics.mean(m.seconds):.0f} s of training a run"
                         for name, m in baseline.profiles.items())
    if not baseline.profiles:
        where = "This is the reference report's variant; no run of it has been measured here yet."
    elif baseline.own:
        where = f"Baselines measured on this very variant (`{baseline.key}`): {measured}."
    else:
        differs = ", ".join(f"{aspect.replace('_', ' ')} ({theirs} there, {mine} here)"
                            for aspect, theirs, mine in baseline.differences)
        where = (f"This variant has not been measured; the baselines are those of the closest measured variant "
                 f"with the same dataset and classes, `{baseline.key}`, which differs in: {differs}. "
                 f"Measured {measured}.")
    blocks = [("h", 3, "Against measured baselines"), ("p", where), ("table", header, rows)]
    unlike = [f"changed {', '.join(results['changed_settings'])}"] if results.get("changed_settings") else []
    unlike += [f"trained on the first {results['train_limit']} images only"] if results.get("train_limit") else []
    if unlike:
        blocks.append(("p", f"**Not like for like:** this run {' and '.join(unlike)}; the baselines used the "
                            "profiles' own settings and every training image."))
    if ref and results["settings"]["name"] != "faithful":
        blocks.append(("p", "This run's training accuracy and loss do not compare with the reference report's: the "
                            "reference (and `faithful`) trained on its images plus copies noised with std 1.0; "
                            "test accuracy compares."))
    return blocks


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def to_markdown(blocks: list[tuple], image_prefix: str) -> str:
    out = []
    for block in blocks:
        if block[0] == "h":
            out.append(f"{'#' * block[1]} {block[2]}")
        elif block[0] == "p":
            out.append(block[1])
        elif block[0] == "table":
            header, rows = block[1], block[2]
            out.append("\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                                 + ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]))
        else:
            out.append(f"![{block[2]}]({image_prefix}{block[1].name})")
    return "\n\n".join(out) + "\n"


def _inline(text: str) -> str:
    """The two Markdown marks the report uses, `code` and **bold**, in HTML."""
    parts = html.escape(text).split("`")
    text = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    parts = text.split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


STYLE = """body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}figure{margin:1em 0}img{max-width:100%}figcaption{color:#555;font-size:90%}
code{background:#f3f3f3;padding:0 3px}
@media print{@page{size:A4;margin:15mm}body{max-width:none;margin:0;padding:0;font-size:10pt}
figure,tr,img{break-inside:avoid}thead{display:table-header-group}h1,h2,h3{break-after:avoid}
img{max-height:120mm}}"""


def to_html(blocks: list[tuple]) -> str:
    title = next(b[2] for b in blocks if b[0] == "h")
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
           f"<style>{STYLE}</style></head><body>"]
    for block in blocks:
        if block[0] == "h":
            out.append(f"<h{block[1]}>{_inline(block[2])}</h{block[1]}>")
        elif block[0] == "p":
            out.append(f"<p>{_inline(block[1])}</p>")
        elif block[0] == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(f"<td>{_inline(str(c))}</td>" for c in row) + "</tr>" for row in block[2])
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        else:
            data = base64.b64encode(block[1].read_bytes()).decode()
            out.append(f"<figure><img alt='{html.escape(block[2])}' src='data:image/png;base64,{data}'>"
                       f"<figcaption>{html.escape(block[2])}</figcaption></figure>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(folder: Path, results: dict, figures: Path) -> Path:
    """report.md (images linked relative to `folder`), report.html (images embedded) and report.pdf (A4)
    in `folder`; returns the HTML's path."""
    from variantlab.pdf import to_pdf

    blocks = build_blocks(results, figures)
    prefix = Path(os.path.relpath(figures, folder)).as_posix() + "/"
    write_text(folder / "report.md", to_markdown(blocks, prefix))
    to_pdf(blocks, next(b[2] for b in blocks if b[0] == "h"), folder / "report.pdf")
    return write_text(folder / "report.html", to_html(blocks))
