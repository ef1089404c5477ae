"""A whole class at once on Ray: each distinct (variant, profile, seed) trains once, as one Ray task;
every student still gets a report of their own, and the class gets a summary.

Layout of the output folder:
  variants/<variant key>-<profile>-seed<S>/   one `variantlab run` folder per group (shared)
  students/<roll>/report.html, .md, .pdf        each student's report; `training` links to the group
  class_summary.csv, class_summary.html
"""

import csv
import html
import io
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from variantlab import baselines
from variantlab.atomic import inside, write_json, write_text
from variantlab.config import Profile
from variantlab.errors import UserError
from variantlab.locks import folder_lock
from variantlab.rules import Variant, derive
from variantlab.student import Student, parse_student

REQUIRED = ("roll", "dob", "program")
SUMMARY_COLUMNS = ("line", "roll", "first", "last", "status", "variant_key", "cnn_test_accuracy",
                   "ae_classifier_test_accuracy",
                   "cnn_test_accuracy_std", "ae_classifier_test_accuracy_std", "seeds",
                   "baseline_variant", "baseline_own", "cnn_baseline", "cnn_baseline_std", "ae_classifier_baseline",
                   "ae_classifier_baseline_std", "outlier", "flag", "report", "error")
OUTLIER_SDS = 3  # a result this many of its baseline's standard deviations below the baseline's mean is flagged
# Environment a worker needs to find data the way the driver does (a cluster's nodes have their own).
FORWARDED_ENV = ("VARIANTLAB_DATA", "VARIANTLAB_OFFLINE", "XDG_CACHE_HOME")


@dataclass
class Row:
    line: int
    roll: str
    first: str = ""
    last: str = ""
    student: Student | None = None
    error: str = ""


@dataclass
class Group:
    key: str  # folder name: variant key, profile, seed
    variant: Variant
    seed: int
    students: list[Row] = field(default_factory=list)
    results: dict | None = None
    error: str = ""


def read_roster(path: Path) -> list[Row]:
    """Every data row of the roster, valid or not (with the reason), in file order."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise UserError(f"roster {path}: cannot be read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise UserError(f"roster {path}: not UTF-8 text (byte {e.start}: {e.reason}); save it as CSV UTF-8") from None
    try:
        return _rows(csv.DictReader(io.StringIO(text, newline="")), path)
    except csv.Error as e:
        raise UserError(f"roster {path}: not a readable CSV file ({e})") from None


def _rows(reader: csv.DictReader, path: Path) -> list[Row]:
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise UserError(f"roster {path}: header lacks column(s) {', '.join(missing)}; it needs roll, dob, program "
                        "and may have first, last")
    rows, seen = [], {}
    for record in reader:
        record = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items() if k}
        row = Row(reader.line_num, record.get("roll", ""), record.get("first", ""), record.get("last", ""))
        empty = [c for c in REQUIRED if not record.get(c)]
        if empty:
            row.error = f"missing {', '.join(empty)}"
        else:
            try:
                row.student = parse_student(record["dob"], record["roll"], record["program"],
                                            record.get("first", ""), record.get("last", ""))
            except UserError as e:
                row.error = str(e)
        if row.student and row.student.roll in seen:
            row.error, row.student = f"duplicate roll {row.roll} (first on line {seen[row.roll]})", None
        elif row.student:
            seen[row.roll] = row.line
        rows.append(row)
    return rows


def plan_groups(rows: list[Row], profile: str, seeds: int) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for row in rows:
        if row.student is None:
            continue
        variant = derive(row.student)
        for seed in range(seeds):
            key = f"{variant.key}-{profile}-seed{seed}"
            groups.setdefault(key, Group(key, variant, seed)).students.append(row)
    return groups


def train_group(student: Student, variant: Variant, profile: Profile, seed: int, out: str, data_dir,
                train_limit, device: str, threads: int) -> dict:
    """One Ray task: train a group's models in its own folder (a normal `variantlab run` folder);
    returns what its results.json holds."""
    import torch

    from variantlab.pipeline import resolve_device, run_training

    torch.set_num_threads(threads)
    return run_training(student, variant, profile, seed=seed, device=resolve_device(device), out=Path(out),
                        data_dir=data_dir, train_limit=train_limit, show_progress=False)


def default_out(roster: str | Path, out: str | Path | None) -> Path:
    return Path(out) if out else Path("sweeps") / Path(roster).stem


def _finished(folder: Path) -> dict | None:
    path = folder / "results.json"
    return json.loads(path.read_text()) if path.exists() else None


def sweep(roster: str | Path, *, profile: str = "fast", seeds: int = 1, epochs: int | None = None,
          train_limit: int | None = None, address: str | None = None, cpus_per_run: float = 1,
          gpus_per_run: float = 0, out: str | Path | None = None, data_dir=None, settings: dict | None = None,
          show_progress: bool = True) -> list[dict]:
    """Train every distinct variant of a roster once per seed on Ray; returns the summary rows."""
    from variantlab.pipeline import make_profile

    chosen = make_profile(profile, epochs, settings)
    if seeds < 1:
        raise UserError(f"--seeds {seeds} must be at least 1")
    if cpus_per_run <= 0 or gpus_per_run < 0:
        raise UserError(f"--cpus-per-run {cpus_per_run} must be > 0 and --gpus-per-run {gpus_per_run} >= 0")
    if train_limit is not None and train_limit < 1:
        raise UserError(f"--train-limit {train_limit} must be at least 1")
    rows = read_roster(Path(roster))
    out = default_out(roster, out).resolve()
    if out.exists() and not out.is_dir():
        raise UserError(f"output path {out} is a file; give a folder")
    groups = plan_groups(rows, chosen.name, seeds)
    todo = []
    for group in groups.values():
        group.results = _finished(out / "variants" / group.key)
        if group.results is None:
            todo.append(group)
    out.mkdir(parents=True, exist_ok=True)
    with folder_lock(out):  # one sweep per folder: two would refuse each other's groups and overwrite the summary
        if todo:
            _run_on_ray(todo, chosen, out, data_dir, train_limit, address, cpus_per_run, gpus_per_run, show_progress,
                        skipped=len(groups) - len(todo))
        return write_summary(out, rows, groups, seeds, chosen.name)


def _run_on_ray(todo: list[Group], profile, out: Path, data_dir, train_limit, address, cpus_per_run, gpus_per_run,
                show_progress: bool, skipped: int) -> None:
    import ray
    from rich.console import Console
    from rich.live import Live

    env = {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
    try:
        # "local" starts a Ray of our own: a bare init would join whatever cluster `ray start` left on this
        # machine, and die with it.
        ray.init(address=address or "local", log_to_driver=False, include_dashboard=False,
                 logging_level="WARNING", runtime_env={"env_vars": env} if env else None)
    except (ConnectionError, RuntimeError, ValueError) as e:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise UserError(f"could not start or join {where}: {e}".splitlines()[0]) from None
    try:
        # UserError (bad or missing data, bad settings) is permanent; an OSError may pass on a retry.
        task = ray.remote(num_cpus=cpus_per_run, num_gpus=gpus_per_run, max_retries=2,
                          retry_exceptions=[OSError])(train_group)
        device = "cuda" if gpus_per_run > 0 else "cpu"
        threads = max(1, int(cpus_per_run))
        pending = {task.remote(g.students[0].student, g.variant, profile, g.seed,
                               str(out / "variants" / g.key), str(data_dir) if data_dir else None, train_limit,
                               device, threads): g for g in todo}
        slots = max(1, int(ray.cluster_resources().get("GPU" if gpus_per_run else "CPU", 1)
                           // (gpus_per_run or cpus_per_run)))
        done = failed = 0
        started = time.monotonic()

        def status() -> str:
            running = min(len(pending), slots)
            return (f"groups: {done} done, {running} running, {len(pending) - running} queued, {failed} failed"
                    f"{f', {skipped} finished before' if skipped else ''}  [{time.monotonic() - started:.0f} s]")

        console = Console(quiet=not show_progress)
        with Live(status(), refresh_per_second=2, console=console, transient=True) as live:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
                for ref in ready:
                    group = pending.pop(ref)
                    try:
                        group.results = ray.get(ref)
                        done += 1
                    except Exception as e:  # a task's failure is recorded for its students; others carry on
                        group.error = _task_error(e)
                        failed += 1
                live.update(status())
        console.print(status())
    finally:
        ray.shutdown()


def _task_error(e: Exception) -> str:
    cause = getattr(e, "cause", None) or e
    return f"{type(cause).__name__}: {cause}".splitlines()[0]


def baseline_columns(variant: Variant, profile: str, accuracy: dict[str, float], changed: list[str],
                     train_limit: int | None) -> dict:
    """The student's variant's measured baseline for the sweep's profile, and a flag for a result more
    than OUTLIER_SDS standard deviations below it, saying when the comparison is not like for like."""
    baseline = baselines.for_variant(variant, profile)
    if baseline is None or profile not in baseline.profiles:
        return {"flag": f"no {profile} baseline measured on this variant or one of its dataset and classes"}
    measured = baseline.profiles[profile]
    columns = {"baseline_variant": baseline.key, "baseline_own": "yes" if baseline.own else "no (closest measured)"}
    flags = []
    for model in baselines.MODELS:
        sd = measured.sd(model)
        columns |= {f"{model}_baseline": round(measured.mean(model), 6),
                    f"{model}_baseline_std": round(sd, 6) if sd is not None else ""}
        if baselines.below(accuracy[model], measured, model, OUTLIER_SDS):
            whose = "baseline" if baseline.own else "the closest measured variant's baseline"
            flags.append(f"{model} more than {OUTLIER_SDS} sd below {whose}")
    outlier = "yes" if flags else ""
    if changed:
        flags.append(f"this sweep changed {', '.join(changed)}: not the baseline's settings")
    if train_limit:
        flags.append(f"trained on the first {train_limit} images only: the baseline used all")
    return columns | {"flag": "; ".join(flags), "outlier": outlier}


def spreadsheet_safe(value):
    """OWASP's rule against CSV injection: text a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_summary(out: Path, rows: list[Row], groups: dict[str, Group], seeds: int, profile: str) -> list[dict]:
    """Each student's report, class_summary.csv and class_summary.html; returns the CSV's rows."""
    from variantlab.report import write_report

    by_roll: dict[str, list[Group]] = {}
    for group in groups.values():
        for row in group.students:
            by_roll.setdefault(row.roll, []).append(group)
    summary = []
    for row in rows:
        entry = dict.fromkeys(SUMMARY_COLUMNS, "") | {"line": row.line, "roll": row.roll, "first": row.first,
                                                      "last": row.last}
        if row.student is None:
            summary.append(entry | {"status": "invalid", "error": row.error})
            continue
        mine = sorted(by_roll[row.roll], key=lambda g: g.seed)
        entry["variant_key"] = mine[0].variant.key
        errors = [g.error for g in mine if g.results is None]
        if errors:
            summary.append(entry | {"status": "failed", "error": errors[0]})
            continue
        folder = inside(out / "students", row.roll)
        first = out / "variants" / mine[0].key
        # The group's training, reported for this student: their details, their reasons.
        report_results = mine[0].results | {"student": row.student.to_dict(), "variant": derive(row.student).to_dict()}
        write_report(folder, report_results, first / "figures")
        link = folder / "training"
        if not link.is_symlink():
            link.symlink_to(os.path.relpath(first, folder), target_is_directory=True)
        for model in baselines.MODELS:
            values = [g.results[model]["test_accuracy"] for g in mine]
            entry[f"{model}_test_accuracy"] = round(statistics.mean(values), 6)
            entry[f"{model}_test_accuracy_std"] = round(statistics.stdev(values), 6) if len(values) > 1 else ""
        entry |= baseline_columns(mine[0].variant, profile, {m: entry[f"{m}_test_accuracy"] for m in baselines.MODELS},
                                  mine[0].results.get("changed_settings", []), mine[0].results.get("train_limit"))
        entry |= {"status": "ok", "seeds": len(mine), "report": str((folder / "report.html").relative_to(out))}
        summary.append(entry)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SUMMARY_COLUMNS)
    writer.writeheader()
    writer.writerows([{k: spreadsheet_safe(v) for k, v in entry.items()} for entry in summary])
    write_text(out / "class_summary.csv", buffer.getvalue())
    write_json(out / "groups.json", {k: {"students": [r.roll for r in g.students], "seed": g.seed,
                                         "status": "ok" if g.results else "failed", "error": g.error}
                                     for k, g in groups.items()})
    write_text(out / "class_summary.html", summary_html(summary, groups, seeds))
    return summary


SORT_SCRIPT = """<script>
document.querySelectorAll('table.sortable th').forEach((th, col) => th.addEventListener('click', () => {
  const body = th.closest('table').tBodies[0];
  const rows = [...body.rows];
  const asc = th.dataset.asc !== 'true';
  th.dataset.asc = asc;
  const key = r => { const t = r.cells[col].innerText; const n = parseFloat(t); return isNaN(n) ? t : n; };
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (asc ? 1 : -1));
  rows.forEach(r => body.appendChild(r));
}));
</script>"""


def summary_html(summary: list[dict], groups: dict[str, Group], seeds: int) -> str:
    def pct(x):
        return f"{100 * x:.2f}" if x != "" else ""

    def baseline(e, model):
        if e[f"{model}_baseline"] == "":
            return ""
        sd = f" ± {pct(e[f'{model}_baseline_std'])}" if e[f"{model}_baseline_std"] != "" else ""
        return f"{pct(e[f'{model}_baseline'])}{sd}"

    head = "".join(f"<th>{c}</th>" for c in ("line", "roll", "name", "status", "variant", "CNN %", "CNN baseline %",
                                             "AE classifier %", "AE classifier baseline %", "baseline from", "flag",
                                             "report", "error"))
    body = []
    for e in summary:
        report = f"<a href='{html.escape(e['report'])}'>report</a>" if e["report"] else ""
        own = {"yes": "this variant", "": ""}.get(e["baseline_own"], f"closest: {e['baseline_variant']}")
        flagged = " class='flag'" if e["outlier"] else ""
        body.append(f"<tr{flagged}>" + "".join(f"<td>{v}</td>" for v in (
            e["line"], html.escape(e["roll"]), html.escape(f"{e['first']} {e['last']}".strip()), e["status"],
            html.escape(e["variant_key"]),
            pct(e["cnn_test_accuracy"]), baseline(e, "cnn"), pct(e["ae_classifier_test_accuracy"]),
            baseline(e, "ae_classifier"), html.escape(own), html.escape(e["flag"]), report,
            html.escape(e["error"]))) + "</tr>")
    per_variant: dict[str, dict] = {}
    for g in groups.values():
        if g.results:
            stats = per_variant.setdefault(g.variant.key, {"students": len(g.students), "cnn": [], "ae_classifier": []})
            for model in baselines.MODELS:
                stats[model].append(g.results[model]["test_accuracy"])
    dist = []
    for key, s in sorted(per_variant.items()):
        cells = [html.escape(key), s["students"], len(s["cnn"])]
        for model in baselines.MODELS:
            v = s[model]
            spread = f" ± {100 * statistics.stdev(v):.2f}" if len(v) > 1 else ""
            cells.append(f"{100 * statistics.mean(v):.2f}{spread} (min {100 * min(v):.2f}, max {100 * max(v):.2f})")
        dist.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    ok = sum(e["status"] == "ok" for e in summary)
    return f"""<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Class summary</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px}}th{{background:#f3f3f3;cursor:pointer}}
tr.flag{{background:#fde2e2}}</style></head><body>
<h1>Class summary</h1><p>{len(summary)} roster rows: {ok} ok, {sum(e['status'] == 'failed' for e in summary)} failed,
{sum(e['status'] == 'invalid' for e in summary)} invalid. {len(groups)} training groups ({seeds} seed(s) per variant).
Each accuracy stands beside its variant's measured baseline (mean ± sd over seeds, from the grade book,
docs/VARIANTS.md); a row more than {OUTLIER_SDS} sd below it is flagged, the sd being the seeds' or, when
larger, the test set's sampling error (so a one-seed baseline judges too). Click a column header to sort.</p>
<table class='sortable'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>
<h2>Test accuracy per variant</h2><p>Mean over seeds, ± standard deviation when there are several: what a
grader compares a student's submitted numbers to.</p>
<table class='sortable'><thead><tr><th>variant</th><th>students</th><th>seeds</th><th>CNN %</th>
<th>AE classifier %</th></tr></thead><tbody>{''.join(dist)}</tbody></table>{SORT_SCRIPT}</body></html>
"""
