"""A student's details (ASSIGNMENT.md section 1), parsed and validated."""

import datetime as dt
import re
from dataclasses import asdict, dataclass

from variantlab.errors import UserError

PROGRAMS = {"btech": "B.Tech", "mtech": "M.Tech", "phd": "PhD"}
DOB_HELP = "DD/MM/YY or DD/MM/YYYY; a two-digit year 00-29 means 20YY, 30-99 means 19YY"


@dataclass(frozen=True)
class Student:
    day: int
    month: int
    year: int  # four digits; the rules use year % 100
    roll: str
    abc: str  # last three characters of the roll number, leading zeros kept
    program: str  # btech | mtech | phd
    first: str = ""
    last: str = ""

    @property
    def yy(self) -> int:
        return self.year % 100

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first, self.last) if part)

    @property
    def dob(self) -> str:
        return f"{self.day:02d}/{self.month:02d}/{self.yy:02d}"

    def to_dict(self) -> dict:
        return asdict(self) | {"dob": self.dob}

    @classmethod
    def from_dict(cls, d) -> "Student":
        return cls(d["day"], d["month"], d["year"], d["roll"], d["abc"], d["program"], d.get("first", ""),
                   d.get("last", ""))


def parse_dob(text: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{2}|[0-9]{4})", text.strip())
    if not match:
        raise UserError(f"date of birth {text!r} is not in the form {DOB_HELP}, e.g. 18/03/02")
    day, month, year = (int(g) for g in match.groups())
    if len(match.group(3)) == 2:
        year += 2000 if year <= 29 else 1900
    try:
        dt.date(year, month, day)
    except ValueError as e:
        raise UserError(f"date of birth {text!r} is not a real date ({e}); expected {DOB_HELP}") from None
    return day, month, year


ROLL_HELP = ("3 to 32 ASCII letters, digits, '-' or '_', starting with a letter or digit and ending in three "
             "digits (ABC), e.g. B20AI052 or 052; it names the run's folder, so nothing else is accepted")
ROLL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,28}[0-9]{3}|[0-9]{3}")


def parse_roll(text: str) -> tuple[str, str]:
    roll = text.strip()
    if not ROLL_PATTERN.fullmatch(roll):
        raise UserError(f"roll number {text!r} is not {ROLL_HELP}")
    return roll, roll[-3:]


def parse_program(text: str) -> str:
    key = re.sub(r"[.\s_-]", "", text).lower()
    if key not in PROGRAMS:
        accepted = ", ".join(f"{k} ({v})" for k, v in PROGRAMS.items())
        raise UserError(f"programme {text!r} is not one of: {accepted}")
    return key


def parse_student(dob: str, roll: str, program: str, first: str = "", last: str = "") -> Student:
    day, month, year = parse_dob(dob)
    roll, abc = parse_roll(roll)
    return Student(day, month, year, roll, abc, parse_program(program), first.strip(), last.strip())
