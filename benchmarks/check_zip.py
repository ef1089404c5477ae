"""Reading a zip as handed in, with a 100 MB member: time and peak memory of `read_submission`.

    .venv/bin/python benchmarks/check_zip.py

Builds, in a temporary folder, zips of a hand-in (notebook, report PDF, README) with: a 100 MB video (listed,
never inflated); a 100 MB notebook (over the 32 MB a file may have: listed, skipped, not inflated); a 31 MB
notebook (inflated, then refused for its 2 million characters) and a 1.9 MB one (read), each beside the same
notebook as a plain file; a 100 MB member of zeros (a bomb, refused). Each is read in a fresh process; its
wall time and peak resident memory (VmHWM) are printed, with those of a process that only imports the
reader. Building the zips is not timed.
"""

import json
import os
import platform
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MB = 2**20
READ = """
import re, sys, time
from pathlib import Path
from variantlab.errors import UserError
from variantlab.check.submission import read_submission
start = time.perf_counter()
try:
    s = read_submission(Path(sys.argv[1])) if len(sys.argv) > 1 else None
    said = f"{len(s.files)} read, {len(s.contents)} listed, {len(s.skipped)} skipped" if s else "imports only"
except UserError as e:
    said = f"refused: {str(e)[:70]}"
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
print(f"{seconds:.2f}\\t{peak:.0f}\\t{said}")
"""


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def notebook(size: int) -> bytes:
    """A notebook of about `size` bytes, most of them a figure's base64 output, as a trained model's has."""
    figure = os.urandom(size * 3 // 4).hex()[: size]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "import torch\nmodel = Net()\n",
         "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"image/png": figure,
                                                                               "text/plain": "<Figure>"}}]}]}).encode()


def hand_in(path: Path, extra: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=10)
    document.multi_cell(0, 5, "Test accuracy of the CNN: 97.92 %")
    with zipfile.ZipFile(path, "w", method) as archive:
        archive.writestr("B20AI052_minor1/q1.ipynb", notebook(200_000))
        archive.writestr("B20AI052_minor1/report.pdf", bytes(document.output()))
        archive.writestr("B20AI052_minor1/README.md", "Run q1.ipynb.\n")
        for name, data in extra.items():
            archive.writestr(f"B20AI052_minor1/{name}", data)
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        private = folder / "temp"  # the readers' TMPDIR: what they leave there is counted
        private.mkdir()
        big, fair = notebook(31 * MB), notebook(1_900_000)
        (folder / "big.ipynb").write_bytes(big)
        (folder / "fair.ipynb").write_bytes(fair)
        cases = {
            "imports only": None,
            "100 MB video (stored)": hand_in(folder / "video.zip", {"demo.mp4": os.urandom(100 * MB)},
                                             zipfile.ZIP_STORED),
            "100 MB notebook (skipped)": hand_in(folder / "huge.zip", {"huge.ipynb": notebook(100 * MB)}),
            "31 MB notebook, zipped": hand_in(folder / "big.zip", {"big.ipynb": big}),
            "31 MB notebook, plain file": folder / "big.ipynb",
            "1.9 MB notebook, zipped": hand_in(folder / "fair.zip", {"fair.ipynb": fair}),
            "1.9 MB notebook, plain file": folder / "fair.ipynb",
            "100 MB of zeros (bomb)": hand_in(folder / "bomb.zip", {"q2.py": bytes(100 * MB)}),
        }
        print(f"{cpu_name()}, Python {platform.python_version()}")
        print(f"{'case':<28} {'zip MB':>7} {'s':>6} {'peak MB':>8}  result")
        for case, path in cases.items():
            done = subprocess.run([sys.executable, "-c", READ, *([str(path)] if path else [])], capture_output=True,
                                  text=True, check=True, env=os.environ | {"TMPDIR": str(private)})
            seconds, peak, said = done.stdout.strip().split("\t")
            size = f"{path.stat().st_size / MB:.1f}" if path else ""
            print(f"{case:<28} {size:>7} {seconds:>6} {peak:>8}  {said}")
        print(f"left in the readers' temporary folder: {len(list(private.iterdir()))} files")


if __name__ == "__main__":
    main()
