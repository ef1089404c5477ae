"""Ablation of the `fast` profile's choices on a variant (the reference's unless --student): each row
changes one setting of the profile and trains the CNN (or the autoencoder and the AE classifier) with several seeds.

Choices are read off the *validation* accuracy (the profile's held-out 5%, or the split a row sets);
test accuracy is printed beside it for the record, never used to choose.
Run: .venv/bin/python benchmarks/ablation.py [--model cnn|ae_classifier] [--seeds 2] [--first-seed 0] [--device cuda]
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from variantlab.data.datasets import load
from variantlab.exam.rules import derive
from variantlab.exam.student import parse_student
from variantlab.pipeline import build_model, prepare, resolve_device, train_model
from variantlab.training.config import RunSpec, get_profile, override
from variantlab.training.evaluate import classification_metrics, predict
from variantlab.training.models import Inference

CNN_ROWS = {
    "fast": {}, "wd 0.05": {"cnn.weight_decay": 0.05}, "no label smoothing": {"cnn.label_smoothing": 0.0},
    "noise 0.1": {"noise_strength": 0.1}, "noise 0.35": {"noise_strength": 0.35},
    "normal noise": {"random_noise": "normal"}, "lr 0.0015": {"cnn.lr": 0.0015}, "lr 0.006": {"cnn.lr": 0.006},
    "batch 128": {"cnn.batch_size": 128}, "batch 512 lr 0.005": {"cnn.batch_size": 512, "cnn.lr": 0.005},
    "4 epochs": {"cnn.epochs": 4}, "10 epochs": {"cnn.epochs": 10}, "15 epochs": {"cnn.epochs": 15},
    "constant lr 0.001 (Adam)": {"cnn.schedule": "constant", "cnn.lr": 0.001, "cnn.optimizer": "adam"},
    "10 epochs batch 128 noise 0.1": {"cnn.epochs": 10, "cnn.batch_size": 128, "noise_strength": 0.1},
    "no weight average": {"cnn.ema": 0.0}, "warm-up 0.05": {"cnn.warmup": 0.05},
    "pools last": {"cnn_pools": "last"}, "3x3 padding 1": {"cnn_kernel": 3},
    "3x3 padding 0": {"cnn_kernel": 3, "cnn_padding": 0},
    "20 epochs": {"cnn.epochs": 20}, "30 epochs": {"cnn.epochs": 30},
    "3x3 padding 1 20 epochs": {"cnn_kernel": 3, "cnn.epochs": 20},
    "noise 0.2": {"noise_strength": 0.2}, "label smoothing 0.2": {"cnn.label_smoothing": 0.2},
    "wd 0.1": {"cnn.weight_decay": 0.1},
    "20% held out": {"val_fraction": 0.2}, "wd 0.05 20% held out": {"cnn.weight_decay": 0.05, "val_fraction": 0.2},
    "wd 0.0005": {"cnn.weight_decay": 0.0005}, "noise 0.3": {"noise_strength": 0.3},
    "no weight average, no label smoothing": {"cnn.ema": 0.0, "cnn.label_smoothing": 0.0},
}
AEC_ROWS = {
    "fast": {}, "scratch": {"ae_classifier_mode": "scratch"}, "frozen": {"ae_classifier_mode": "frozen"},
    "no denoising": {"ae_denoise": False}, "no label smoothing": {"ae_classifier.label_smoothing": 0.0},
    "wd 0.05": {"ae_classifier.weight_decay": 0.05}, "lr 0.001": {"ae_classifier.lr": 0.001},
    "lr 0.004": {"ae_classifier.lr": 0.004}, "15 AEC epochs": {"ae_classifier.epochs": 15},
    "4 AE epochs": {"autoencoder.epochs": 4}, "15 AE epochs": {"autoencoder.epochs": 15},
    "25 AEC epochs": {"ae_classifier.epochs": 25}, "40 AEC epochs": {"ae_classifier.epochs": 40},
    "40 AEC + 20 AE epochs": {"ae_classifier.epochs": 40, "autoencoder.epochs": 20},
    "40 AEC epochs batch 128": {"ae_classifier.epochs": 40, "ae_classifier.batch_size": 128},
    "60 AEC epochs": {"ae_classifier.epochs": 60},
    "ema 0.99": {"ae_classifier.ema": 0.99}, "ema 0.998": {"ae_classifier.ema": 0.998},
    "wd 0.2": {"ae_classifier.weight_decay": 0.2}, "label smoothing 0.2": {"ae_classifier.label_smoothing": 0.2},
    "noise 0.2": {"noise_strength": 0.2}, "noise 0.3": {"noise_strength": 0.3},
    "100 AEC epochs": {"ae_classifier.epochs": 100},
    "AEC batch 512": {"ae_classifier.batch_size": 512},
    "AEC batch 512 lr 0.003": {"ae_classifier.batch_size": 512, "ae_classifier.lr": 0.003},
    "AEC batch 512 lr 0.004": {"ae_classifier.batch_size": 512, "ae_classifier.lr": 0.004},
    "AEC batch 1024 lr 0.004": {"ae_classifier.batch_size": 1024, "ae_classifier.lr": 0.004},
}


def train_one(model_name, changes, seed, variant, dataset, device, scratch: Path) -> dict:
    """The run's own stages (pipeline.build_model, train_model), one model and what it needs."""
    spec = RunSpec(variant, override(get_profile("fast"), changes), seed)
    data = prepare(spec, device, dataset)
    started = time.perf_counter()
    autoencoder = None
    if model_name == "ae_classifier":
        autoencoder = build_model("autoencoder", spec, data)
        train_model("autoencoder", autoencoder, spec, data, scratch / "autoencoder.pt", identity={})
    model = build_model(model_name, spec, data, autoencoder)
    history = train_model(model_name, model, spec, data, scratch / f"{model_name}.pt", identity={})
    seconds = time.perf_counter() - started
    test = {tta: classification_metrics(predict(Inference(model, tta), data.subset.test.images, device),
                                        data.subset.test, data.subset)["test_accuracy"] for tta in (False, True)}
    return {"val": history[-1].val_accuracy, "test": test[False], "test_tta": test[True], "seconds": seconds}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=("cnn", "ae_classifier"), default="cnn")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds run from this one up")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-dir")
    parser.add_argument("--rows", help="comma-separated row names (default: all)")
    parser.add_argument("--jsonl", help="also append every result to this file")
    parser.add_argument("--student", default="18/03/02,B20AI052,btech",
                        help="whose variant: DOB,ROLL,PROGRAM (default: the reference student)")
    args = parser.parse_args()
    rows = CNN_ROWS if args.model == "cnn" else AEC_ROWS
    names = args.rows.split(",") if args.rows else list(rows)
    if unknown := [n for n in names if n not in rows]:
        parser.error(f"unknown rows {unknown}; known for {args.model}: {', '.join(rows)}")
    device = resolve_device(args.device)
    variant = derive(parse_student(*args.student.split(",")))
    dataset = load(variant.dataset, args.data_dir)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"{args.model} ablation of {variant.key} on {device}, torch {torch.__version__}, "
          f"seeds {seeds[0]}..{seeds[-1]}; "
          "val = accuracy on the held-out split (the profile's 5% unless a row says); "
          "test = on the 5,000 test images (tta: with test-time flip)")
    print(f"{'row':28} {'val %':>7} {'test %':>7} {'test tta %':>10} {'train s':>8}")
    for name in names:
        results = []
        for seed in seeds:
            with tempfile.TemporaryDirectory() as scratch:
                results.append(train_one(args.model, rows[name], seed, variant, dataset, device, Path(scratch)))
        if args.jsonl:
            with open(args.jsonl, "a") as f:
                f.write(json.dumps({"model": args.model, "variant": variant.key, "row": name, "changes": rows[name],
                                    "seeds": list(seeds), "runs": results}) + "\n")
        mean = {k: statistics.mean(r[k] for r in results) for k in results[0]}
        print(f"{name:28} {100 * mean['val']:7.2f} {100 * mean['test']:7.2f} {100 * mean['test_tta']:10.2f} "
              f"{mean['seconds']:8.1f}", flush=True)


if __name__ == "__main__":
    main()
