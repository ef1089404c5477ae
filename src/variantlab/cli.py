"""The `variantlab` command line: a thin layer of Typer over the library's functions."""

import json
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table

from variantlab.errors import UserError
from variantlab.rules import derive, variant_table
from variantlab.student import DOB_HELP, parse_student

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Derive a student's exam variant, train its models on the real data, write the report.")
console = Console()

DOB = typer.Option(..., "--dob", help=f"Date of birth, {DOB_HELP}.")
ROLL = typer.Option(..., "--roll", help="Roll number (B20AI052) or its last three digits (052).")
PROGRAM = typer.Option(..., "--program", help="btech, mtech or phd (B.Tech, M.Tech, PhD also work).")
FIRST = typer.Option("", "--first", help="First name, for report titles.")
LAST = typer.Option("", "--last", help="Last name, for report titles.")


@app.callback()
def _group():
    """Commands: derive, data, run, sweep."""


@contextmanager
def user_errors():
    """A user's mistake becomes one line on stderr and exit status 2, never a traceback."""
    try:
        yield
    except UserError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


@app.command("derive")
def derive_cmd(dob: str = DOB, roll: str = ROLL, program: str = PROGRAM, first: str = FIRST, last: str = LAST,
               as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table.")):
    """Print a student's exam variant: every value the rule table fixes, and why."""
    with user_errors():
        student = parse_student(dob, roll, program, first, last)
    variant = derive(student)
    if as_json:
        typer.echo(json.dumps(variant.to_dict() | {"student": student.to_dict()}, indent=2))
        return
    title = f"Variant of {student.name or student.roll} ({student.dob}, ABC {student.abc}, {student.program})"
    table = Table("aspect", "value", "why", title=title)
    for row in variant_table(variant):
        table.add_row(*row)
    console.print(table)
