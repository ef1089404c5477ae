"""A generated class checked the way a grader would: time, memory, and how right the verdicts are.

    .venv/bin/python benchmarks/check_class.py [--count 300] [--pages 10] [--workers 2] [--seed 0]

Generates `count` submissions with tests/corpus.py (half notebooks in five code styles, half PDF reports of
about `pages` pages), each labelled with the verdict a correct checker gives per aspect and claim; runs
`variantlab check FOLDER --roster` on them; prints the wall time of the check alone, of the whole class check
(marks, feedback PDFs, the sheet), and of a second run with nothing changed, the peak memory, then precision and recall
of `violates` and `contradicts` per aspect (code submissions and reports apart), and the claims' verdicts.
The generation is not timed.
"""

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from corpus import generate, roster
from variantlab.check.check import ASPECTS
from variantlab.check.grading import check_class, entries_of, run_checks
from variantlab.course.roster import read_roster


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def rates(pairs: list[tuple[str, str]], verdict: str) -> str:
    hits = sum(label == got == verdict for label, got in pairs)
    said = sum(got == verdict for _, got in pairs)
    real = sum(label == verdict for label, _ in pairs)
    precision = f"{hits / said:.2f}" if said else "-"
    recall = f"{hits / real:.2f}" if real else "-"
    return f"{precision} / {recall} ({real})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "class"
        labelled = generate(folder, args.count, seed=args.seed, kinds=("notebook", "pdf"), pages=args.pages)
        class_csv = roster(labelled, Path(scratch) / "class.csv")
        rows = read_roster(class_csv)
        students = {r.roll: r.student for r in rows if r.student is not None}
        began = time.perf_counter()  # the check alone: read, parsed, judged, in the worker pool
        run_checks(entries_of(folder, list(students)), students, args.workers, False)
        checking = time.perf_counter() - began
        began = time.perf_counter()
        result = check_class(folder, class_csv, out=Path(scratch) / "out", workers=args.workers, show_progress=False)
        seconds = time.perf_counter() - began
        began = time.perf_counter()
        check_class(folder, class_csv, out=Path(scratch) / "out", workers=args.workers, show_progress=False)
        again = time.perf_counter() - began
        peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        reports = {x.student.roll: json.loads((Path(scratch) / "out" / "submissions" / f"{x.student.roll}.json")
                                              .read_text()) for x in labelled}
    pdf_pages = sum(1 for x in labelled if x.kind == "pdf")
    print(f"{cpu_name()}, {args.workers} worker processes; {len(labelled)} submissions ({len(labelled) - pdf_pages} "
          f"notebooks, {pdf_pages} PDF reports of about {args.pages} pages)")
    print(f"checked in {checking:.1f} s ({1000 * checking / len(labelled):.0f} ms a submission); checked, marked, "
          f"with feedback (HTML and PDF) and the sheet written: {seconds:.1f} s; the same class again, nothing "
          f"changed: {again:.1f} s; peak memory of one process {peak / 1024:.0f} MB; {result.words()}")
    print("\n| aspect | violates, code: precision / recall (cases) | violates, reports | contradicts, code | "
          "contradicts, reports |\n|---|---|---|---|---|")
    for aspect in ASPECTS:
        cells = []
        for verdict in ("violates", "contradicts"):
            for kinds in (("notebook", "script"), ("markdown", "pdf")):
                pairs = [(x.verdicts[aspect], reports[x.student.roll]["aspects"][aspect]["verdict"])
                         for x in labelled if x.kind in kinds]
                cells.append(rates(pairs, verdict))
        print(f"| {aspect} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")
    claims = Counter((x.claims[m], reports[x.student.roll]["judgement"][m]["verdict"]) for x in labelled
                     for m in x.claims)
    print("\nclaims (label -> verdict): " + ", ".join(f"{a} -> {b}: {n}" for (a, b), n in sorted(claims.items())))


if __name__ == "__main__":
    main()
