"""AWS EventBridge schedule expressions: the 6-field cron and rate syntax, with the fix in each error."""

import pytest

from ml.config.schedule import check_schedule_expression

VALID = [
    "cron(0 6 * * ? *)",
    "cron(0/15 * ? * MON-FRI *)",
    "cron(5,35 14 * * ? *)",
    "cron(0 12 L * ? *)",
    "cron(0 12 15W JAN-JUL ? 2030)",
    "cron(0 10 ? * 6L 2022-2030)",
    "cron(15 10 ? * 6#3 *)",
    "rate(1 day)",
    "rate(5 minutes)",
    "rate(12 hours)",
]


@pytest.mark.parametrize("expression", VALID)
def test_valid_expressions_pass(expression):
    assert check_schedule_expression(expression) == expression


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 6 * * *)", "AWS cron needs 6 fields"),
        ("cron(0 6 * * ? * *)", "got 7"),
        ("cron(0 6 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 6 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(60 6 * * ? *)", "minutes field '60': '60' is not in 0-59"),
        ("cron(0 24 * * ? *)", "hours field '24': '24' is not in 0-23"),
        ("cron(0 6 * 13 ? *)", "month field '13': '13' is not in 1-12 or JAN-DEC"),
        ("cron(0 6 ? * 8 *)", "day-of-week field '8': '8' is not in 1-7 or SUN-SAT"),
        ("cron(0 6 * * ? 1969)", "year field '1969'"),
        ("cron(0 6 ? * */2 *)", "'/' (increments) is not allowed in day-of-week"),
        ("cron(0 6 ? * 2#6 *)", "#n must be 1 to 5"),
        ("cron(0/0 6 * * ? *)", "increment '0' must be a positive whole number"),
        ("cron(? 6 * * ? *)", "'?' is only allowed in day-of-month and day-of-week"),
        ("cron(0 6 * * L *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("rate(2 weeks)", "rate unit must be minute(s), hour(s) or day(s), got 'weeks'"),
        ("rate(1 days)", "write rate(1 day)"),
        ("rate(5 minute)", "write rate(5 minutes)"),
        ("rate(0 hours)", "rate value must be a positive whole number, got '0'"),
        ("rate(1.5 hours)", "rate value must be a positive whole number"),
        ("rate(day)", "expected rate(<value> <unit>)"),
        ("every day at 6", "expected cron(...) or rate(...)"),
    ],
)
def test_invalid_expressions_say_what_is_wrong(expression, expected):
    with pytest.raises(ValueError) as error:
        check_schedule_expression(expression)
    assert expected in str(error.value)


def test_non_string_is_refused():
    with pytest.raises(ValueError, match="as a string, got 6"):
        check_schedule_expression(6)
