"""The run history: one compact JSON line per `results.json`, appended to docs/results/runs.jsonl.

    python benchmarks/history.py [--note TEXT] [--out FILE] RESULTS.json...

Each line holds the file's name, the student's roll number, profile, seed, device, the commit the run
records (new runs only; null before), the settings that differ from the named profile *as it is when
this script runs* ("cnn.epochs: 12 -> 20", the run's value first), the settings the run predates
(`not_recorded`), the CNN's architecture, test and last validation accuracies, the autoencoder's test
MSE, the job's times and when it finished. `--note` adds what the settings cannot say (the optimiser
loop, say) to every line of that call. A file whose name is already in the history is skipped, so that a line, once
written, keeps the profile it was compared with. Standard library and variantlab.training.config only (found
under src/), so plain `python3` runs it too.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from variantlab.training.config import get_profile

HISTORY = Path(__file__).resolve().parents[1] / "docs" / "results" / "runs.jsonl"
ABSENT = object()


def show(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def differences(settings: dict, current: dict, prefix: str = "") -> tuple[list[str], list[str]]:
    """("key: run's value -> current value" for each setting that differs, keys the run does not record)."""
    changed, missing = [], []
    for key in list(current) + [k for k in settings if k not in current]:
        old, new = settings.get(key, ABSENT), current.get(key, ABSENT)
        if old is ABSENT:
            missing.append(prefix + key)
        elif isinstance(old, dict) and isinstance(new, dict):
            c, m = differences(old, new, f"{prefix}{key}.")
            changed += c
            missing += m
        elif old != new:
            changed.append(f"{prefix}{key}: {show(old)} -> {'absent' if new is ABSENT else show(new)}")
    return changed, missing


def val_accuracy(model: dict) -> float | None:
    """The delivered model's validation accuracy without flips (new runs record it; older ones only in
    the last epoch's history); None without a validation split."""
    if "val_accuracy" in model:
        return model["val_accuracy"]
    return (model.get("history") or [{}])[-1].get("val_accuracy")


def summary(path: Path, note: str | None) -> dict:
    run = json.loads(path.read_text())
    changed, missing = differences({k: v for k, v in run["settings"].items() if k != "name"},
                                   {k: v for k, v in get_profile(run["profile"]).to_dict().items() if k != "name"})
    t, versions = run.get("timings", {}), run.get("versions", {})
    line = {
        "file": path.name, "roll": run.get("student", {}).get("roll"), "profile": run["profile"],
        "seed": run["seed"], "device_name": run.get("device_name"), "precision_used": run.get("precision_used"),
        "torch": versions.get("torch"), "commit": versions.get("commit"), "dirty": versions.get("dirty"),
        "differs_from_profile": changed, "not_recorded": missing,
        "cnn_architecture": run["cnn"].get("architecture"),
        "cnn_test_accuracy": run["cnn"]["test_accuracy"], "cnn_val_accuracy": val_accuracy(run["cnn"]),
        "ae_classifier_test_accuracy": run["ae_classifier"]["test_accuracy"],
        "ae_classifier_val_accuracy": val_accuracy(run["ae_classifier"]),
        "autoencoder_test_mse": run["autoencoder"]["test_mse"],
        "cnn_seconds": t.get("cnn_seconds"), "autoencoder_seconds": t.get("autoencoder_seconds"),
        "ae_classifier_seconds": t.get("ae_classifier_seconds"),
        "total_seconds": t.get("total_seconds"), "finished": run.get("finished"),
    }
    if note:
        line["note"] = note
    return line


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path)
    parser.add_argument("--note", help="what the settings do not record, added to each of these lines")
    parser.add_argument("--out", type=Path, default=HISTORY)
    args = parser.parse_args(argv)
    known = set()
    if args.out.exists():
        known = {json.loads(line)["file"] for line in args.out.read_text().splitlines() if line.strip()}
    lines = []
    for path in args.results:
        if path.name in known:
            print(f"skipped {path.name}: already in {args.out}", file=sys.stderr)
            continue
        known.add(path.name)
        lines.append(json.dumps(summary(path, args.note)) + "\n")
    with args.out.open("a") as f:
        f.writelines(lines)
    print(f"{len(lines)} line(s) appended to {args.out}")


if __name__ == "__main__":
    main(sys.argv[1:])
