"""Dates with a precision: a day, a month or a year, or unknown (null). A date is never guessed.

A partial date is stored as the first day of its period ("January 2022" is 2022-01-01 with
precision month), and the database refuses any other day, so a stored date never claims more
than its source said.
"""

import calendar
import datetime

from django.db import models
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext_lazy as _


class DatePrecision(models.TextChoices):
    DAY = "day", _("day")
    MONTH = "month", _("month")
    YEAR = "year", _("year")


class DateKind(models.TextChoices):
    """Whether a dated entry says when something began, or only that it held when reported."""

    BEGAN = "began", _("began on")
    AS_REPORTED = "as_reported", _("as reported on")


def period_end(day: datetime.date | None, precision: str) -> datetime.date | None:
    """The last day of the period a partial date stands for."""
    if day is None:
        return None
    if precision == DatePrecision.YEAR:
        return datetime.date(day.year, 12, 31)
    if precision == DatePrecision.MONTH:
        return datetime.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return day


def contains(outer: tuple[datetime.date, str], inner: tuple[datetime.date, str]) -> bool:
    """Whether the period of one partial date contains the other's."""
    return outer[0] <= inner[0] and period_end(*inner) <= period_end(*outer)


def format_partial(day: datetime.date | None, precision: str) -> str:
    """A partial date as a reader expects it, in the active language, never more precise."""
    if day is None:
        return str(_("date unknown"))
    if precision == DatePrecision.YEAR:
        return str(day.year)
    if precision == DatePrecision.MONTH:
        return formats.date_format(day, "YEAR_MONTH_FORMAT")
    return formats.date_format(day, "DATE_FORMAT")


def date_constraints(prefix: str, model: str) -> list[models.BaseConstraint]:
    """The constraints every (date, precision) pair of fields carries.

    `<prefix>_on` holds the date and `<prefix>_precision` its precision: both set or both empty,
    and a partial date is the first day of its period.
    """
    on, precision = f"{prefix}_on", f"{prefix}_precision"
    return [
        models.CheckConstraint(
            condition=Q(**{f"{on}__isnull": True, precision: ""})
            | Q(Q(**{f"{on}__isnull": False}) & ~Q(**{precision: ""})),
            name=f"{model}_{prefix}_date_has_precision",
            violation_error_message=_("A date needs its precision, and a precision its date."),
        ),
        models.CheckConstraint(
            condition=Q(**{f"{on}__isnull": True})
            | Q(**{precision: DatePrecision.DAY})
            | Q(**{precision: DatePrecision.MONTH, f"{on}__day": 1})
            | Q(**{precision: DatePrecision.YEAR, f"{on}__day": 1, f"{on}__month": 1}),
            name=f"{model}_{prefix}_partial_date_starts_its_period",
            violation_error_message=_(
                "A date known to the month or the year is stored as the first day of that period."
            ),
        ),
    ]


def date_fields(verbose_name) -> tuple[models.DateField, models.CharField]:
    """A (date, precision) pair; assign as `x_on, x_precision = date_fields(_("x"))`."""
    return (
        models.DateField(verbose_name, null=True, blank=True),
        models.CharField(
            _("precision"),
            max_length=5,
            choices=DatePrecision.choices,
            blank=True,
            help_text=_("How much of the date the source gives. Leave both empty if unknown."),
        ),
    )
