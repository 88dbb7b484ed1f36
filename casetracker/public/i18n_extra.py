"""Strings of Django and django-filter that reach public pages but have no Kazakh translation.

Django's `kk` catalogue leaves some of them empty (pagination, length errors, the CSRF page) and
capitalises the month forms a date uses; django-filter ships no `kk` catalogue at all. Our own
catalogue (LOCALE_PATHS) takes precedence over theirs, so listing the strings here keeps them in
locale/kk whenever `makemessages` runs again. Nothing imports this module: it is only read by
`makemessages`.
"""

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

DJANGO_FILTER = [
    # OrderingFilter: the sort menu ("Name (descending)").
    gettext_noop("%s (descending)"),
    gettext_noop("Ordering"),
    gettext_noop("Multiple values may be separated by commas."),
    gettext_noop("Any date"),
    gettext_noop("Today"),
    gettext_noop("Yesterday"),
    gettext_noop("Past 7 days"),
    gettext_noop("This month"),
    gettext_noop("This year"),
    gettext_noop("Select a lookup."),
    gettext_noop("Range query expects two values."),
    gettext_noop("Submit"),
    gettext_noop("Field filters"),
    gettext_noop("exclude"),
    gettext_noop("All"),
    gettext_noop("Unknown"),
    gettext_noop("Yes"),
    gettext_noop("No"),
]

DJANGO_FORMS = [
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
    gettext_noop("Enter a valid integer."),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Value %(value)r is not a valid choice."),
    gettext_noop("Day"),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    pgettext_lazy("String to return when truncating text", "%(truncated_text)s…"),
]

# The CSRF failure page: the language switcher posts a form, so a reader may meet it.
DJANGO_CSRF = [
    gettext_noop("Forbidden"),
    gettext_noop("CSRF verification failed. Request aborted."),
    gettext_noop(
        "You are seeing this message because this site requires a CSRF cookie when submitting "
        "forms. This cookie is required for security reasons, to ensure that your browser is not "
        "being hijacked by third parties."
    ),
    gettext_noop(
        "If you have configured your browser to disable cookies, please re-enable them, at least "
        "for this site, or for “same-origin” requests."
    ),
    gettext_noop("More information is available with DEBUG=True."),
]

# Dates write the month in lower case in Kazakh ("2022 жылғы 18 қаңтар"); `E` uses these.
MONTHS_IN_DATES = [
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
]

# The names of the seeded roles (fixtures/motion-b9-0072-2022.json); Role.__str__ translates them.
SEEDED_ROLES = [
    gettext_noop("Journalist or media worker"),
    gettext_noop("Human rights defender"),
    gettext_noop("Activist"),
    gettext_noop("Protester"),
    gettext_noop("Opposition figure"),
    gettext_noop("Political prisoner"),
    gettext_noop("Former political prisoner"),
    gettext_noop("Official"),
]
