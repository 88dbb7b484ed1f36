"""Value queries built by the ORM once and run many times with other ids.

The search page loads its twenty persons, then their names, roles and places: five small queries
whose rows take PostgreSQL a fraction of a millisecond, and whose building and compiling by the
ORM (filters, joins, publication rules, ordering) took three times as long as running them
(docs/performance.md, search added time). A query's shape depends only on the database, on its
options (public or staff) and on how many ids it is given, so it is compiled once for each and
kept: the ORM stays the one place its SQL comes from, and a request only puts its ids into the
compiled statement's parameters. Its rows come converted as `values_list()` gives them.

`build(ids, *options)` returns a `values_list()` queryset filtering on `ids` (in any lookups, each
id anywhere among the parameters). It is called with stand-in ids, numbers no table holds, whose
places in the compiled parameters are where a request's ids go. Its other values are fixed when it
is compiled, so it must not read the request, the language or the clock: only its options.
"""

import functools
from collections.abc import Callable, Sequence

from django.db import connection
from django.db.models import QuerySet

# Stand-in ids: far below any id a table holds (ids count up from 1).
_STAND_IN = -(2**62)


@functools.lru_cache(maxsize=256)
def _compile(build: Callable[..., QuerySet], alias: str, count: int, options: tuple):
    stand_ins = [_STAND_IN - i for i in range(count)]
    queryset = build(stand_ins, *options)
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    params = list(params)
    places = []
    for stand_in in stand_ins:
        found = [i for i, value in enumerate(params) if value == stand_in]
        if not found:
            raise ValueError(f"{build.__qualname__} does not filter on the ids it is given")
        places.append(found)
    # The selected columns, for their converters (`_convert`); the compiler itself stays behind,
    # as it holds the connection of the thread that compiled it.
    columns = [expression for expression, _sql, _alias in compiler.select]
    return sql, params, places, columns


def _convert(found: list[tuple], columns: list) -> list[tuple]:
    """The rows with each value the ORM converts (an aware datetime from SQLite's text, say)
    converted, as `SQLCompiler.apply_converters` does, by this thread's connection."""
    converters = []
    for i, column in enumerate(columns):
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            converters.append((i, functions, column))
    if not converters:
        return found
    converted = []
    for row in found:
        row = list(row)
        for i, functions, column in converters:
            for function in functions:
                row[i] = function(row[i], column, connection)
        converted.append(tuple(row))
    return converted


def rows(build: Callable[..., QuerySet], ids: Sequence[int], *options) -> list[tuple]:
    """The rows of `build(ids, *options)`, as `values_list()` would give them."""
    if not ids:
        return []
    sql, template, places, columns = _compile(build, connection.alias, len(ids), options)
    params = list(template)
    for id_, where in zip(ids, places, strict=True):
        for i in where:
            params[i] = id_
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _convert(cursor.fetchall(), columns)
