"""Time to the reference's CNN accuracy (97.92 %): training seconds and epochs until the `fast` CNN
first reaches it on the 5,000 test images (evaluated after each epoch, outside the timed region),
against the reference protocol's time projected from its measured step rate (15 x 1,200 steps; the
reference reaches 97.92 % only at its end).
Run: .venv/bin/python benchmarks/time_to_accuracy.py [--device cpu|cuda] [--seed 0] [--data-dir DIR]
"""

import argparse
import tempfile
from pathlib import Path

import torch

from throughput import VARIANT, reference_images_per_second, setup
from variantlab.pipeline import build_model, prepare, train_model
from variantlab.training.baselines import REFERENCE_REPORT
from variantlab.training.config import RunSpec, get_profile
from variantlab.training.evaluate import classification_metrics, predict
from variantlab.training.models import Inference

TARGET = REFERENCE_REPORT["cnn_test_accuracy"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    args, device, dataset = setup(parser)
    profile = get_profile("fast")
    spec = RunSpec(VARIANT, profile, args.seed)
    data = prepare(spec, device, dataset)
    model = build_model("cnn", spec, data)
    reached = []

    def after_epoch(history, weights):
        accuracy = classification_metrics(predict(Inference(weights, data.tta), data.subset.test.images, device),
                                          data.subset.test, data.subset)["test_accuracy"]
        seconds = sum(h.seconds for h in history)
        print(f"epoch {len(history):2d}: {seconds:7.1f} s of training, test accuracy {100 * accuracy:.2f} %",
              flush=True)
        if accuracy >= TARGET and not reached:
            reached.append((len(history), seconds))

    with tempfile.TemporaryDirectory() as scratch:
        train_model("cnn", model, spec, data, Path(scratch) / "cnn.pt", identity={}, on_epoch=after_epoch)
    reference_seconds = 15 * 120_000 / reference_images_per_second(dataset, device, 100)
    print(f"device {device}, torch {torch.__version__}, seed {args.seed}, target {100 * TARGET:.2f} %")
    print(f"reference protocol, projected: {reference_seconds:.0f} s (15 epochs x 1,200 steps at its measured rate)")
    if not reached:
        print(f"fast never reached {100 * TARGET:.2f} % in {profile.cnn.epochs} epochs")
        return
    epochs, seconds = reached[0]
    print(f"fast: {seconds:.1f} s, epoch {epochs} of {profile.cnn.epochs}")
    print(f"ratio (reference time / fast time to {100 * TARGET:.2f} %): {reference_seconds / seconds:.1f}x")


if __name__ == "__main__":
    main()
