"""A Markdown table of run folders' results (one row per run, then mean and spread), for docs/RESULTS.md.
Run: .venv/bin/python benchmarks/summarize_runs.py runs/B20AI052-fast-*
"""

import statistics
import sys
from pathlib import Path

from variantlab.training.config import CLASSIFIERS, TITLES
from variantlab.training.results import ClassifierResult, RunResult, read_results


def accuracy(model: ClassifierResult) -> str:
    """Test accuracy, and the last epoch's validation accuracy where the profile held some out."""
    val = model.history[-1].val_accuracy
    return f"{100 * model.test_accuracy:.2f}" + (f" ({100 * val:.2f})" if val is not None else "")


def row(r: RunResult) -> str:
    t = r.timings
    return (f"| {r.profile.name} | {r.seed} | {r.device_name} ({r.precision_used}) | {accuracy(r.cnn)} | "
            f"{accuracy(r.ae_classifier)} | {r.autoencoder.test_mse:.4f} / {r.autoencoder.test_mse_noisy:.4f} | "
            f"{t['cnn_seconds']:.0f} | {t['autoencoder_seconds']:.0f} | {t['ae_classifier_seconds']:.0f} | "
            f"{t['total_seconds']:.0f} | {(r.versions.commit or 'not recorded')[:10]} |")


def main(folders: list[str]) -> None:
    runs = [read_results(Path(f)) for f in folders]
    print("| profile | seed | device | CNN test % (val %) | AE classifier test % (val %) | "
          "AE test MSE (clean / noisy) | CNN s | AE s | AE classifier s | total s | commit |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(row(r))
    if len(runs) > 1:
        for model in CLASSIFIERS:
            values = [100 * r.classifier(model).test_accuracy for r in runs]
            print(f"\n{TITLES[model]}: mean {statistics.mean(values):.2f} %, standard deviation "
                  f"{statistics.stdev(values):.2f}, min {min(values):.2f}, max {max(values):.2f} over {len(values)} "
                  "seeds")
        totals = [r.timings["total_seconds"] for r in runs]
        print(f"total time: mean {statistics.mean(totals):.0f} s, max {max(totals):.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
