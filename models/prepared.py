"""Statements of a fixed shape, compiled by Peewee once per database.

Building SQL text is most of what Peewee spends on a small statement (0.1-0.8 ms
here, against a few microseconds for SQLite to run it). The paths that run the
same few statements for every record (qualifying, audit events, reading the
settings, the duplicate lookups) build each one with Peewee once per database,
with a `Slot` wherever a value goes, and then run the cached text with `execute`
(Peewee's error types; its query logging and hooks when either is in use). Peewee
still writes the SQL (quoting, the backend's placeholders, `RETURNING` on
PostgreSQL); only the rebuilding is skipped. See docs/benchmarks.md (qualifying
10,000 leads) for what it saves.

Values are passed as the driver takes them, as Peewee would after its field
conversion: str, int (ids), bool, datetime, Decimal or None.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import peewee

from .db import database_proxy

M = TypeVar("M", bound=peewee.Model)


class _Name:
    """What a `Slot` leaves among the compiled parameters: the name to fill in."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Slot(peewee.Node):
    """A named value in a statement compiled once: `Lead.id == Slot("id")`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __sql__(self, ctx: peewee.Context) -> peewee.Context:
        return ctx.value(_Name(self.name), converter=False)


@dataclass(frozen=True)
class Compiled:
    sql: str
    names: tuple[str, ...]  # the slot filling each placeholder, in order
    returning: bool  # the statement returns the new row's id (inserts on PostgreSQL)
    params: Callable[[Mapping[str, Any]], tuple] = field(init=False, repr=False)
    """The parameters in placeholder order, taken from a mapping by slot name."""

    def __post_init__(self) -> None:
        names = self.names
        if len(names) == 1:
            take = lambda values: (values[names[0]],)  # noqa: E731 (itemgetter gives no tuple)
        elif names:
            take = operator.itemgetter(*names)
        else:
            take = lambda values: ()  # noqa: E731
        object.__setattr__(self, "params", take)


class Prepared:
    """A statement that `build()` makes with Peewee, compiled for the database the
    models are bound to when first run there (again if they are bound to another).

    Every value in the query must be a `Slot`, so that no value of the first run
    is baked into the cached text.
    """

    def __init__(self, build: Callable[[], peewee.Query]) -> None:
        self.build = build
        # (database, its compiled statement): one tuple, so that threads never see
        # one database's statement paired with another database.
        self._for: tuple[peewee.Database, Compiled] | None = None

    def compiled(self) -> tuple[peewee.Database, Compiled]:
        db = database_proxy.obj
        cached = self._for
        if cached is not None and cached[0] is db:
            return cached
        query = self.build()
        sql, params = query.sql()
        if not all(isinstance(p, _Name) for p in params):
            raise TypeError(f"A value in {sql!r} is not a Slot: {params!r}")
        compiled = Compiled(
            sql, tuple(p.name for p in params), bool(getattr(query, "_returning", None))
        )
        self._for = (db, compiled)
        return self._for

    def run(self, values: Mapping[str, Any]) -> Any:
        """Execute with `values` by slot name; returns the cursor."""
        db, compiled = self.compiled()
        return execute(db, compiled.sql, compiled.params(values))


_peewee_logger = logging.getLogger("peewee")


def execute(db: peewee.Database, sql: str, params: tuple | list) -> Any:
    """`db.execute_sql(sql, params)`, with Peewee's error types and leadq's fault
    handling (backends.py); its query logging and hooks are skipped (a few
    microseconds a statement) unless in use."""
    if db.query_hooks or _peewee_logger.isEnabledFor(logging.DEBUG):
        return db.execute_sql(sql, params)
    run = getattr(db, "execute_prepared", None)  # leadq's databases (backends.py)
    if run is not None:
        return run(sql, params)
    with peewee.__exception_wrapper__:
        cursor = db.cursor()
        cursor.execute(sql, params)
    return cursor


_inserts: dict[tuple[type, tuple[str, ...]], Prepared] = {}


def insert(instance: peewee.Model) -> int:
    """INSERT the instance's values (as `save(force_insert=True)` would: every field
    it holds, the id only if it has one), set its new id and return it."""
    model = type(instance)
    pk = model._meta.primary_key.name
    data = instance.__data__
    if pk in data and data[pk] is None:
        del data[pk]
    names = tuple(data)
    statement = _inserts.get((model, names))
    if statement is None:
        fields = model._meta.fields
        statement = _inserts[model, names] = Prepared(
            lambda: model.insert({fields[name]: Slot(name) for name in names})
        )
    db, compiled = statement.compiled()
    cursor = execute(db, compiled.sql, compiled.params(data))
    new_id = cursor.fetchone()[0] if compiled.returning else cursor.lastrowid
    data[pk] = new_id
    instance._dirty.clear()
    return new_id


_defaults: dict[type, tuple[dict[str, Any], tuple[tuple[str, Callable[[], Any]], ...]]] = {}


def create(model: type[M], **values: Any) -> M:
    """Like `model.create(**values)`: a new record with the model's defaults for the
    fields not given, inserted with every field it holds. `values` are stored as
    given (ids for foreign keys), without going through the field accessors."""
    defaults = _defaults.get(model)
    if defaults is None:
        by_name = {field.name: default for field, default in model._meta.defaults.items()}
        defaults = _defaults[model] = (
            {name: d for name, d in by_name.items() if not callable(d)},
            tuple((name, d) for name, d in by_name.items() if callable(d)),
        )
    fixed, computed = defaults
    data = {**fixed, **values}
    for name, default in computed:
        if name not in data:
            data[name] = default()
    instance = model(__no_default__=True)
    instance.__data__ = data
    insert(instance)
    return instance


# Field types (exactly these, not subclasses) whose values come back from both
# drivers as the ORM would give them (str, int): reading them needs no conversion.
_AS_STORED = (peewee.CharField, peewee.TextField, peewee.IntegerField, peewee.AutoField)


class Reader(Generic[M]):
    """Reads one record of `model` by id, with only `fields` loaded.

    The record is for reading those fields: any other field reads as None. With
    `lock`, the read takes the row lock on PostgreSQL (`FOR UPDATE`, see locks.py),
    for a service that writes what it decides on the record.
    """

    def __init__(
        self, model: type[M], fields: tuple[peewee.Field, ...], *, lock: bool = False
    ) -> None:
        self.model = model

        def build() -> peewee.Query:
            query = model.select(*fields).where(model._meta.primary_key == Slot("id"))
            if lock and isinstance(database_proxy.obj, peewee.PostgresqlDatabase):
                query = query.for_update()
            return query

        self._select = Prepared(build)
        self._names = tuple(field.name for field in fields)
        self._conversions = tuple(
            (field.name, field.python_value)
            for field in fields
            if type(_stored_as(field)) not in _AS_STORED
        )

    def get(self, record_id: int) -> M | None:
        row = self._select.run({"id": record_id}).fetchone()
        if row is None:
            return None
        instance = self.model(__no_default__=True)
        data = instance.__data__
        data.update(zip(self._names, row, strict=True))
        for name, convert in self._conversions:
            if data[name] is not None:
                data[name] = convert(data[name])
        return instance


def _stored_as(field: peewee.Field) -> peewee.Field:
    return field.rel_field if isinstance(field, peewee.ForeignKeyField) else field
