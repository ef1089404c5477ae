"""Marking a class after its check: the time to mark each submission by the default rubric, to write each
student's feedback (HTML and PDF), and to export the class to Moodle's worksheet and Canvas's gradebook.

    .venv/bin/python benchmarks/marking.py [--count 300] [--distinct 20] [--seed 0]

`distinct` notebooks are generated (tests/corpus.py) and checked once each (not timed); the class of `count`
students reuses their checks under `count` rolls, so every step runs on real check results. One process; the
CPU time beside the wall time says what the work costs when other jobs share the machine.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from check_class import cpu_name
from corpus import generate
from variantlab.check.check import check
from variantlab.check.exports import Graded, canvas_gradebook, moodle_worksheet
from variantlab.check.feedback import write_feedback
from variantlab.check.rubric import load_rubric, mark, seen_in
from variantlab.check.submission import read_submission


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--distinct", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rubric = load_rubric()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        labelled = generate(folder / "subs", count=args.distinct, seed=args.seed, kinds=("notebook",))
        checked = [(check(x.path, x.student).to_json(), seen_in(read_submission(x.path), [x.path.name]))
                   for x in labelled]
        rolls = [f"B20AI{i:03d}" for i in range(args.count)]
        results = [checked[i % len(checked)][0] | {"student": checked[i % len(checked)][0]["student"] | {"roll": r}}
                   for i, r in enumerate(rolls)]
        names = {roll: f"First{i} Last{i}" for i, roll in enumerate(rolls)}

        start = time.perf_counter()
        marks = [mark(result, rubric, checked[i % len(checked)][1]) for i, result in enumerate(results)]
        marking = time.perf_counter() - start

        start, cpu = time.perf_counter(), time.process_time()
        for result, m in zip(results, marks, strict=True):
            write_feedback(folder / "feedback", result, m, names)
        feedback, feedback_cpu = time.perf_counter() - start, time.process_time() - cpu

        graded = [Graded(r, f"First{i}", f"Last{i}", m) for i, (r, m) in enumerate(zip(rolls, marks, strict=True))]
        sheet = folder / "worksheet.csv"
        sheet.write_text("Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
                         "Last modified (submission),Last modified (grade),Feedback comments\n"
                         + "".join(f"Participant {5000 + i},First{i} Last{i},{r.lower()}@iitj.ac.in,,,100.00,Yes,-,-,\n"
                                   for i, r in enumerate(rolls)))
        start = time.perf_counter()
        moodle = moodle_worksheet(sheet, graded, folder / "moodle.csv", provisional=True)
        canvas = canvas_gradebook(graded, folder / "canvas.csv", "Minor 1", rubric.maximum, provisional=True)
        exports = time.perf_counter() - start
        pdf_bytes = sum(p.stat().st_size for p in (folder / "feedback").glob("*.pdf")) / args.count

    print(json.dumps({"machine": cpu_name(), "students": args.count, "distinct_checks": args.distinct,
                      "mark_s": round(marking, 3), "mark_ms_each": round(1000 * marking / args.count, 2),
                      "feedback_s": round(feedback, 2), "feedback_ms_each": round(1000 * feedback / args.count, 1),
                      "feedback_cpu_ms_each": round(1000 * feedback_cpu / args.count, 1),
                      "feedback_pdf_kb_each": round(pdf_bytes / 1024, 1), "exports_s": round(exports, 3),
                      "moodle_rows": moodle.graded, "canvas_rows": canvas.graded}, indent=2))


if __name__ == "__main__":
    main()
