"""EventBridge schedule expressions: AWS's 6-field `cron(...)` and `rate(...)`, checked before AWS sees them.

AWS cron differs from Unix cron: it has a sixth field (year), and exactly one of day-of-month and
day-of-week must be `?`. A Unix-style `cron(0 6 * * *)` is the most common mistake, so the field-count
message shows the AWS form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CRON_EXAMPLE = "cron(0 6 * * ? *) (06:00 UTC daily)"
RATE_UNITS = ("minute", "hour", "day")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class CronField:
    """One field of an AWS cron expression: its range, names and which wildcards it takes."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    wildcards: str = ",-*/"


CRON_FIELDS = (
    CronField("minutes", 0, 59),
    CronField("hours", 0, 23),
    CronField("day-of-month", 1, 31, wildcards=",-*?/LW"),
    CronField("month", 1, 12, MONTHS),
    CronField("day-of-week", 1, 7, WEEKDAYS, wildcards=",-*?L#"),
    CronField("year", 1970, 2199),
)


def check_schedule_expression(value: object) -> str:
    """`value` if it is a valid EventBridge `cron(...)` or `rate(...)` expression; else ValueError."""
    if not isinstance(value, str):
        raise ValueError(f"expected a cron(...) or rate(...) expression as a string, got {value!r}")
    match = re.fullmatch(r"(cron|rate)\((.*)\)", value.strip())
    if not match:
        raise ValueError(
            f"expected cron(...) or rate(...), e.g. {CRON_EXAMPLE} or rate(1 day), got {value!r}"
        )
    check = check_cron if match.group(1) == "cron" else check_rate
    check(match.group(2).strip(), value)
    return value


def check_rate(body: str, expression: str) -> None:
    """`rate(<value> <unit>)`: a positive whole number, and a singular unit exactly when the value is 1."""
    parts = body.split()
    if len(parts) != 2:
        raise ValueError(f"{expression!r}: expected rate(<value> <unit>), e.g. rate(1 day) or rate(6 hours)")
    value, unit = parts
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{expression!r}: rate value must be a positive whole number, got {value!r}")
    if unit.removesuffix("s") not in RATE_UNITS:
        raise ValueError(f"{expression!r}: rate unit must be minute(s), hour(s) or day(s), got {unit!r}")
    singular = unit.removesuffix("s")
    expected = singular if int(value) == 1 else singular + "s"
    if unit != expected:
        raise ValueError(
            f"{expression!r}: write rate({value} {expected}); AWS wants the singular unit only for 1"
        )


def check_cron(body: str, expression: str) -> None:
    """AWS cron: minutes hours day-of-month month day-of-week year, one of the day fields `?`."""
    fields = body.split()
    if len(fields) != len(CRON_FIELDS):
        raise ValueError(
            f"{expression!r}: AWS cron needs 6 fields (minutes hours day-of-month month day-of-week year), "
            f"got {len(fields)}; e.g. {CRON_EXAMPLE}"
        )
    for text, field in zip(fields, CRON_FIELDS, strict=True):
        problem = field_problem(text, field)
        if problem:
            raise ValueError(f"{expression!r}: {field.name} field {text!r}: {problem}")
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ValueError(
            f"{expression!r}: exactly one of day-of-month and day-of-week must be '?' "
            f"(AWS cannot restrict both), e.g. {CRON_EXAMPLE}"
        )


def field_problem(text: str, field: CronField) -> str | None:
    """What is wrong with one cron field, or None."""
    if text == "?":
        return None if "?" in field.wildcards else "'?' is only allowed in day-of-month and day-of-week"
    if "," in text and "," not in field.wildcards:
        return "lists are not allowed here"
    for item in text.split(","):
        problem = _special_problem(item, field) if _is_special(item, field) else _item_problem(item, field)
        if problem:
            return problem
    return None


def _is_special(item: str, field: CronField) -> bool:
    upper = item.upper()
    if field.name == "day-of-month":
        return bool(re.search(r"[LW]", upper))
    return field.name == "day-of-week" and ("#" in upper or upper.endswith("L"))


def _special_problem(item: str, field: CronField) -> str | None:
    """L, LW and nW in day-of-month; L, nL and n#k in day-of-week."""
    upper = item.upper()
    if field.name == "day-of-month" and (upper in ("L", "LW") or re.fullmatch(r"\d+W", upper)):
        return None if upper in ("L", "LW") else _value_problem(upper[:-1], field)
    if field.name == "day-of-week" and (upper == "L" or re.fullmatch(r"[A-Z0-9]+L", upper)):
        return None if upper == "L" else _value_problem(upper[:-1], field)
    if field.name == "day-of-week" and re.fullmatch(r"[A-Z0-9]+#\d", upper):
        day, nth = upper.split("#")
        return _value_problem(day, field) or (None if 1 <= int(nth) <= 5 else "#n must be 1 to 5")
    return f"{item!r} uses a wildcard this field does not take (allowed: {' '.join(field.wildcards)})"


def _item_problem(item: str, field: CronField) -> str | None:
    """`*`, a value or a range, optionally followed by /step."""
    base, slash, step = item.partition("/")
    if slash and "/" not in field.wildcards:
        return "'/' (increments) is not allowed in day-of-week"
    if slash and (not step.isdigit() or int(step) < 1):
        return f"increment {step!r} must be a positive whole number"
    if base == "*":
        return None
    low, dash, high = base.partition("-")
    return _value_problem(low, field) or (_value_problem(high, field) if dash else None)


def _value_problem(token: str, field: CronField) -> str | None:
    if token.upper() in field.names:
        return None
    span = f"{field.low}-{field.high}" + (f" or {field.names[0]}-{field.names[-1]}" if field.names else "")
    if not token.isdigit() or not field.low <= int(token) <= field.high:
        return f"{token!r} is not in {span}"
    return None
