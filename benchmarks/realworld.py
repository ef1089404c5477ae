"""The checker on real hand-ins: public submissions of the Minor 1 exam and comparable coursework, labelled by hand.

    .venv/bin/python benchmarks/realworld.py [--mirrors /work/.mirror] [--only ID ...] [--keep DIR] [--quiet]

Each submission of benchmarks/realworld/sources.toml is laid out of its fetched snapshot (`git show COMMIT:PATH`)
into a scratch folder, never into this repository; a snapshot that is not fetched is named and its submissions
skipped. The checker reads each submission as a folder and each file alone, in process, against the student's
stated details (any valid student where they are unknown: the values read do not depend on the student). Printed:
precision / recall per aspect for the code (the folder) and for the text of notebooks and scripts, of READMEs and of
PDFs (each file alone), per claim, the verdicts where the student's details are known, the hyperparameters, and
every disagreement with the labels (benchmarks/realworld/labels/*.toml, README.md there).
"""

import argparse
import math
import subprocess
import tempfile
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from variantlab.check.check import ASPECTS, check_submission, required_values
from variantlab.check.submission import read_submission
from variantlab.errors import UserError
from variantlab.exam.rules import derive
from variantlab.exam.student import Student, parse_student

HERE = Path(__file__).resolve().parent / "realworld"
SOURCE_OF = {".ipynb": "notebook", ".py": "notebook", ".md": "readme", ".txt": "readme", ".pdf": "pdf"}
SOURCES = ("notebook", "readme", "pdf")
NETWORKS = ("cnn", "ae_classifier")
HYPERPARAMETERS = ("optimizer", "learning_rate", "momentum", "weight_decay", "batch_size", "epochs", "loss")
ANY_STUDENT = parse_student("18/03/02", "B20AI052", "btech")  # when the files do not state the details
CLAIM_TOLERANCE = 5e-5  # a hundredth of a percentage point


@dataclass
class Rate:
    """Precision (right of reported) and recall (found of labelled) of one aspect, claim or verdict."""

    right: int = 0
    reported: int = 0
    found: int = 0
    labelled: int = 0

    def cell(self) -> str:
        precision = f"{self.right / self.reported:.2f}" if self.reported else "-"
        recall = f"{self.found / self.labelled:.2f}" if self.labelled else "-"
        return f"{precision} / {recall} ({self.labelled})"


@dataclass
class Tally:
    rates: dict[tuple[str, str], Rate] = field(default_factory=lambda: defaultdict(Rate))
    disagreements: list[str] = field(default_factory=list)

    def disagree(self, submission: str, scope: str, key: str, label: object, got: object, where: str) -> None:
        self.disagreements.append(f"{submission} | {scope} | {key} | label {label!r} | got {got!r} | {where}")


def comparable(aspect: str, value: object) -> object:
    """A value in one spelling: a one-item list as its item, classes sorted, lists as tuples."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, list):
        return tuple(sorted(value)) if aspect == "classes" else tuple(comparable(aspect, v) for v in value)
    return value


def same_claim(a: float, b: float) -> bool:
    return math.isclose(a, b, abs_tol=CLAIM_TOLERANCE)


def git_dir(mirrors: Path, repository: str) -> Path | None:
    repo = mirrors / repository.replace("/", "+") / "repo"
    return repo / ".git" if (repo / ".git").is_dir() else repo if repo.is_dir() else None


def lay_out(submission: dict, repository: Path, folder: Path) -> list[Path]:
    """The submission's files, as the snapshot holds them, under `folder` (paths kept below their common folder)."""
    paths = [Path(p) for p in submission["paths"]]
    parents = [p.parent.parts for p in paths]
    shared = 0
    while all(len(parts) > shared and parts[shared] == parents[0][shared] for parts in parents):
        shared += 1
    common = Path(*parents[0][:shared])
    files = []
    for path in paths:
        spec = f"{submission['commit']}:{path.as_posix()}"
        blob = subprocess.run(["git", "--git-dir", str(repository), "show", spec], capture_output=True,
                              check=True).stdout
        target = folder / path.relative_to(common)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob)
        files.append(target)
    return files


def student_of(submission: dict) -> Student | None:
    details = submission.get("student", {})
    if all(details.get(k) for k in ("dob", "roll", "program")):
        return parse_student(details["dob"], details["roll"], details["program"])
    return None


def checked(path: Path, student: Student) -> dict:
    try:
        return check_submission(read_submission(path), student).to_json()
    except UserError as e:
        return {"error": str(e)}


def aspect_json(result: dict, aspect: str) -> dict:
    return (result.get("aspects") or {}).get(aspect) or {}


def unattributed(results: list[dict]) -> list[float]:
    """Test accuracies the checker read but gave to neither network (claims.statements, where it lists them)."""
    statements = [s for r in results for s in (r.get("claims") or {}).get("statements") or [] if isinstance(s, dict)]
    return [s["value"] for s in statements if s.get("network") == "unattributed" and s.get("value") is not None]


def claimed(result: dict, network: str) -> float | None:
    return ((result.get("judgement") or {}).get(network) or {}).get("claimed")


def score_code(tally: Tally, sid: str, labels: dict, folder_result: dict) -> None:
    for aspect in ASPECTS:
        label = labels.get("code", {}).get(aspect)
        if label is not None and label.get("unscored"):
            continue
        got = aspect_json(folder_result, aspect).get("code")
        rate = tally.rates[("code", aspect)]
        want = comparable(aspect, label["value"]) if label is not None else None
        got_value = comparable(aspect, got) if got is not None else None
        rate.reported += got is not None
        rate.labelled += label is not None
        if got is not None and got_value == want:
            rate.right += 1
            rate.found += 1
        elif got is not None or label is not None:
            where = label["where"] if label is not None else "(no label: the code shows none)"
            evidence = aspect_json(folder_result, aspect).get("evidence") or [{}]
            tally.disagree(sid, "code", aspect, want, got_value, f"{where} / checker: {evidence[0].get('where', '-')}")


def score_text(tally: Tally, sid: str, labels: dict, file_results: dict[str, list[dict]]) -> None:
    for source in SOURCES:
        if source not in file_results:
            continue
        entries = [t for t in labels.get("text", []) if t["source"] == source]
        for aspect in ASPECTS:
            wanted = {comparable(aspect, t["value"]): t["where"] for t in entries
                      if t["aspect"] == aspect and not t.get("neutral")}
            neutral = {comparable(aspect, t["value"]) for t in entries if t["aspect"] == aspect and t.get("neutral")}
            got = {comparable(aspect, v) for r in file_results[source]
                   for v in aspect_json(r, aspect).get("text") or []}
            rate = tally.rates[(source, aspect)]
            scored = got - neutral
            rate.right += len(scored & wanted.keys())
            rate.reported += len(scored)
            rate.found += len(got & wanted.keys())
            rate.labelled += len(wanted)
            for value in sorted(scored - wanted.keys(), key=repr):
                evidence = text_evidence(file_results[source], aspect, value)
                tally.disagree(sid, f"{source} text", aspect, sorted(wanted, key=repr), value,
                               f"reported, not labelled; evidence: {evidence}")
            for value in sorted(wanted.keys() - got, key=repr):
                tally.disagree(sid, f"{source} text", aspect, value, sorted(got, key=repr), f"missed: {wanted[value]}")


def text_evidence(results: list[dict], aspect: str, value: object) -> str:
    """The aspect's evidence in the files whose text gave `value` (the JSON does not say which line gave which
    value, so up to three places)."""
    places = [f"{found.get('where', '-')}: {str(found.get('excerpt', ''))[:80]!r}" for result in results
              if value in {comparable(aspect, v) for v in aspect_json(result, aspect).get("text") or []}
              for found in aspect_json(result, aspect).get("evidence") or []]
    return "; ".join(places[:3]) or "-"


def score_claims(tally: Tally, sid: str, labels: dict, file_results: dict[str, list[dict]], folder: dict) -> None:
    claims = labels.get("claim", [])
    for source in SOURCES:
        if source not in file_results:
            continue
        for network in NETWORKS:
            own = [c for c in claims if c["source"] == source and c["network"] == network]
            accepted = own + [c for c in claims if c["source"] == source and c["network"] == "unattributed"]
            got = [v for r in file_results[source] if (v := claimed(r, network)) is not None]
            rate = tally.rates[(source, network)]
            for value in got:
                rate.reported += 1
                if any(same_claim(value, c["value"]) for c in accepted):
                    rate.right += 1
                else:
                    tally.disagree(sid, f"{source} claim", network, [c["value"] for c in accepted], value,
                                   "reported, not labelled for this network")
            if own:
                rate.labelled += 1
                if any(same_claim(v, c["value"]) for v in got for c in own):
                    rate.found += 1
                else:
                    tally.disagree(sid, f"{source} claim", network, [c["value"] for c in own], got, own[0]["where"])
        labelled = [c for c in claims if c["source"] == source]
        rate = tally.rates[(source, "unattributed")]
        for value in unattributed(file_results[source]):
            rate.reported += 1
            rate.right += any(same_claim(value, c["value"]) for c in labelled)
            tally.disagree(sid, f"{source} claim", "unattributed", [(c["network"], c["value"]) for c in labelled],
                           value, "listed by the checker as naming no network")
    for network in NETWORKS:
        finals = [c for c in claims if c["network"] == network and c.get("final")]
        final = claimed(folder, network)
        rate = tally.rates[("final", network)]
        rate.reported += final is not None
        rate.labelled += bool(finals)
        if final is not None and any(same_claim(final, c["value"]) for c in finals):
            rate.right += 1
            rate.found += 1
        elif final is not None or finals:
            tally.disagree(sid, "final claim", network, [c["value"] for c in finals], final,
                           finals[0]["where"] if finals else "no final claim labelled")


def expected_verdict(required: object, code: object, texts: list[object]) -> str:
    """The verdict CHECK.md defines, over the labelled values."""
    others = [t for t in texts if t != required]
    if code is not None:
        return "violates" if code != required else "contradicts" if others else "ok"
    if texts:
        return "violates" if len(others) == len(texts) else "contradicts" if others else "ok"
    return "not_found"


def score_verdicts(tally: Tally, sid: str, labels: dict, student: Student, folder: dict) -> None:
    required = required_values(derive(student))
    for aspect in ASPECTS:
        label = labels.get("code", {}).get(aspect)
        if label is not None and label.get("unscored"):
            continue
        code = comparable(aspect, label["value"]) if label is not None else None
        texts = list(dict.fromkeys(comparable(aspect, t["value"]) for t in labels.get("text", [])
                                   if t["aspect"] == aspect and not t.get("neutral")))
        want = expected_verdict(comparable(aspect, required[aspect]), code, texts)
        got = aspect_json(folder, aspect).get("verdict")
        rate = tally.rates[("verdict", aspect)]
        rate.reported += got is not None
        rate.labelled += 1
        if got == want:
            rate.right += 1
            rate.found += 1
        else:
            tally.disagree(sid, "verdict", aspect, want, got, f"required {required[aspect]!r}")


def hyperparameter(value: object) -> object:
    """One spelling: names in lower case, several (a loss per network part) as a sorted tuple, numbers rounded."""
    values = value if isinstance(value, list) else [value]
    values = [v.get("value") if isinstance(v, dict) else v for v in values if v is not None]
    spelled = sorted({round(float(v), 8) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v).lower()
                      for v in values}, key=repr)
    return None if not spelled else spelled[0] if len(spelled) == 1 else tuple(spelled)


def score_hyperparameters(tally: Tally, sid: str, labels: dict, folder: dict) -> bool:
    """False where the checker's JSON has no 'hyperparameters' key (read as {network: {name: value or values}},
    as codescan.hyperparameters names them)."""
    reported = folder.get("hyperparameters")
    for network, wanted in labels.get("hyperparameters", {}).items():
        got = (reported or {}).get(network) or {}
        for name in HYPERPARAMETERS:
            if name not in wanted:
                continue
            rate = tally.rates[("hyperparameter", name)]
            rate.labelled += 1
            value = hyperparameter(got.get(name))
            rate.reported += value is not None
            right = value is not None and value == hyperparameter(wanted[name])
            rate.right += right
            rate.found += right
            if value is not None and not right:
                tally.disagree(sid, f"hyperparameter {network}", name, wanted[name], value, wanted["where"])
    return reported is not None


def table(tally: Tally, title: str, rows: tuple[str, ...], columns: tuple[tuple[str, str], ...]) -> None:
    print(f"\n{title}\n\n| | " + " | ".join(name for name, _ in columns) + " |\n|---|" + "---|" * len(columns))
    for row in rows:
        print(f"| {row} | " + " | ".join(tally.rates[(key, row)].cell() for _, key in columns) + " |")
    total = Rate()
    for _, key in columns:
        for row in rows:
            for attribute in ("right", "reported", "found", "labelled"):
                setattr(total, attribute, getattr(total, attribute) + getattr(tally.rates[(key, row)], attribute))
    print(f"| all | {total.cell()} (pooled over the columns) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"),
                        help="where `fetch` put the snapshots (<owner>+<name>/repo)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="these submissions only")
    parser.add_argument("--keep", type=Path, help="lay the files out here and keep them (default: a temporary folder)")
    parser.add_argument("--quiet", action="store_true", help="figures only, no list of disagreements")
    args = parser.parse_args()
    submissions = tomllib.loads((HERE / "sources.toml").read_text())["submission"]
    submissions = [s for s in submissions if not args.only or s["id"] in args.only]
    missing = sorted({s["repository"] for s in submissions if git_dir(args.mirrors, s["repository"]) is None})
    if missing:
        print("not fetched, skipped (fetch github:<repository> first): " + ", ".join(missing))
    tally = Tally()
    hyperparameters_read = False
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        done = []
        for submission in submissions:
            repository = git_dir(args.mirrors, submission["repository"])
            if repository is None:
                continue
            sid = submission["id"]
            labels = tomllib.loads((HERE / "labels" / f"{sid}.toml").read_text())
            files = lay_out(submission, repository, root / sid)
            student = student_of(submission)
            folder = checked(root / sid, student or ANY_STUDENT)
            if "error" in folder:
                tally.disagree(sid, "folder", "-", "readable", folder["error"], "")
            by_source: dict[str, list[dict]] = defaultdict(list)
            for file in files:
                by_source[SOURCE_OF[file.suffix.lower()]].append(checked(file, student or ANY_STUDENT))
            score_code(tally, sid, labels, folder)
            score_text(tally, sid, labels, by_source)
            score_claims(tally, sid, labels, by_source, folder)
            if student is not None:
                score_verdicts(tally, sid, labels, student, folder)
            hyperparameters_read |= score_hyperparameters(tally, sid, labels, folder)
            done.append(submission)
    kinds = Counter(s["kind"] for s in done)
    print(f"{len(done)} submissions ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), "
          f"{sum(len(s['paths']) for s in done)} files, "
          f"{len({s['author'] for s in done})} authors; precision / recall (labelled values)")
    table(tally, "Aspects: code (the submission as a folder), text (each file alone, by kind)", ASPECTS,
          (("code", "code"), ("notebook text", "notebook"), ("README text", "readme"), ("PDF text", "pdf")))
    table(tally, "Claims (test accuracy): each file alone, and the final one of the folder; 'unattributed': read "
          "but given to neither network (right: equal to a labelled claim of that source)", (*NETWORKS, "unattributed"),
          (("notebooks", "notebook"), ("READMEs", "readme"), ("PDFs", "pdf"), ("final, folder", "final")))
    table(tally, "Verdicts where the student's details are known (expected: CHECK.md's rule over the labels)",
          ASPECTS, (("verdict", "verdict"),))
    if hyperparameters_read:
        table(tally, "Hyperparameters", HYPERPARAMETERS, (("folder", "hyperparameter"),))
    else:
        labelled = sum(r.labelled for (k, _), r in tally.rates.items() if k == "hyperparameter")
        print(f"\nHyperparameters: the checker's JSON has no 'hyperparameters' key ({labelled} labelled values "
              "unscored; read as {network: {optimizer, learning_rate, ...: value or [values]}})")
    if not args.quiet:
        print(f"\nDisagreements ({len(tally.disagreements)}): submission | scope | key | label | got | where")
        for line in tally.disagreements:
            print(line)


if __name__ == "__main__":
    main()
