"""How big a class's matrix page is and how fast Chromium shows it.

    .venv/bin/python benchmarks/sheet_render.py [--students 300] [--runs 5]

Builds two pages of `students` rows with tests/test_sheet.py's generators: the sweep's class summary
(sweep.summary_page, each accuracy judged by baselines.judge) and a grading sheet's shape (eleven aspects
and two claims a student, findings and evidence folded). For each it prints the HTML's size, the time
Python takes to build it, and, in headless Chromium at 1,366 x 768 (median of `runs` fresh starts):
  load     from navigation start to the load event with the page laid out (performance.now() there,
           after reading the page's width, which forces the layout)
  search   a search typed into the page: every row filtered and laid out again
  process  the whole chromium command, against the same for an empty page
"""

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_sheet import grading_page, grading_rows, measured, sweep_class
from variantlab.course.sweep import summary_page

TIMES = """
const root = document.documentElement, width = root.scrollWidth, load = performance.now();
const q = document.getElementById('q'), start = performance.now();
q.value = 'b21'; q.dispatchEvent(new Event('input', {bubbles: true}));
const height = root.scrollHeight, search = performance.now() - start;
window.result = {load, search, width, client: root.clientWidth, height};
"""


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def chromium_seconds(page: str, folder: Path) -> float:
    path = folder / "plain.html"
    path.write_text(page)
    start = time.perf_counter()
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={folder / 'plain-profile'}", "--window-size=1366,768", "--dump-dom",
                    path.as_uri()], capture_output=True, check=True, timeout=120)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{args.students} students, median of {args.runs} Chromium starts at 1,366 x 768; {cpu_name()}")
    builders = {"class summary": lambda: summary_page(*sweep_class(args.students), 1),
                "grading-sheet shape": lambda: grading_page(grading_rows(args.students))}
    for name, build in builders.items():
        start = time.perf_counter()
        page = build()  # the rows' generation is timed too: it is small beside the rendering
        built = time.perf_counter() - start
        loads, searches, processes, empties = [], [], [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                got = measured(page, Path(tmp), TIMES)
                loads.append(got["load"])
                searches.append(got["search"])
                processes.append(chromium_seconds(page, Path(tmp)))
                empties.append(chromium_seconds("<!DOCTYPE html><title>empty</title>", Path(tmp)))
        print(f"{name}: {len(page.encode()) / 1e6:.2f} MB, built in {1000 * built:.0f} ms; scroll width "
              f"{got['width']} px of {got['client']}; load {statistics.median(loads):.0f} ms "
              f"(min {min(loads):.0f}, max {max(loads):.0f}); search {statistics.median(searches):.1f} ms; "
              f"process {statistics.median(processes):.2f} s against {statistics.median(empties):.2f} s empty")


if __name__ == "__main__":
    main()
