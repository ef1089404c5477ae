"""A Markdown table of run folders' results (one row per run, then mean and spread), for docs/RESULTS.md.
Run: .venv/bin/python benchmarks/summarize_runs.py runs/B20AI052-fast-*/results.json
"""

import json
import statistics
import sys


def accuracy(run: dict, model: str) -> str:
    """Test accuracy, and the last epoch's validation accuracy where the profile held some out."""
    test, val = 100 * run[model]["test_accuracy"], run[model]["history"][-1].get("val_accuracy")
    return f"{test:.2f}" + (f" ({100 * val:.2f})" if val is not None else "")


def main(paths: list[str]) -> None:
    runs = [json.loads(open(p).read()) for p in paths]
    print("| profile | seed | device | CNN test % (val %) | AE classifier test % (val %) | "
          "AE test MSE (clean / noisy) | CNN s | AE s | AE classifier s | total s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        t = r["timings"]
        print(f"| {r['profile']} | {r['seed']} | {r['device_name']} ({r['precision_used']}) | "
              f"{accuracy(r, 'cnn')} | {accuracy(r, 'ae_classifier')} | "
              f"{r['autoencoder']['test_mse']:.4f} / {r['autoencoder']['test_mse_noisy']:.4f} | "
              f"{t['cnn_seconds']:.0f} | {t['autoencoder_seconds']:.0f} | {t['ae_classifier_seconds']:.0f} | "
              f"{t['total_seconds']:.0f} |")
    if len(runs) > 1:
        for key, name in (("cnn", "CNN"), ("ae_classifier", "AE classifier")):
            values = [100 * r[key]["test_accuracy"] for r in runs]
            print(f"\n{name}: mean {statistics.mean(values):.2f} %, standard deviation {statistics.stdev(values):.2f}, "
                  f"min {min(values):.2f}, max {max(values):.2f} over {len(values)} seeds")
        totals = [r["timings"]["total_seconds"] for r in runs]
        print(f"total time: mean {statistics.mean(totals):.0f} s, max {max(totals):.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
