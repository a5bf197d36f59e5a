"""Model instances from hand-written SQL, each column converted as the ORM converts it.

For the few queries that run on nearly every request, where building and compiling the
ORM's query costs several times what the database takes to answer it (the logged-in user,
My Requests' page). The instances are what the ORM would have made: `Model.from_db`, with
any field not read deferred, as with `.only()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connections, transaction
from django.db.models import Field, Model, signals
from django.db.models.expressions import Col


def fields_of(model: type[Model], names: Iterable[str] | None = None) -> list[Field]:
    """The model's concrete fields named (all when None), in the model's order of fields,
    as `Model.from_db` takes them."""
    wanted = None if names is None else set(names)
    return [f for f in model._meta.concrete_fields if wanted is None or f.name in wanted]


def pk_in_range(model: type[Model], value: int, connection) -> bool:
    """Whether `value` fits the model's primary key column. Hand-written SQL must ask: SQLite
    refuses a number past 64 bits outright (OverflowError), where the ORM finds no row."""
    low, high = connection.ops.integer_field_range(model._meta.pk.get_internal_type())
    return low <= value <= high


def select_list(fields: Sequence[Field]) -> str:
    """`table.column, ...` for a SELECT of these fields."""
    return ", ".join(f"{field.model._meta.db_table}.{field.column}" for field in fields)


class RowReader:
    """Reads the leading columns of a row into one instance per (model, fields) group, in
    order: the columns of `select_list(fields)` of each group, one after the other."""

    def __init__(self, *groups: tuple[type[Model], Sequence[Field]]):
        self.groups = [(model, list(fields)) for model, fields in groups]
        self.width = sum(len(fields) for _, fields in self.groups)
        self._names = [[field.attname for field in fields] for _, fields in self.groups]
        self._converters: dict[str, list] = {}  # per database alias

    def select_list(self) -> str:
        """`table.column, ...` of every group, in the order `read` takes them."""
        return ", ".join(select_list(fields) for _, fields in self.groups)

    def converters(self, connection) -> list:
        """(index, column, converters) of each column that has any on this database."""
        found = self._converters.get(connection.alias)
        if found is None:
            found, index = [], 0
            for _, fields in self.groups:
                for field in fields:
                    col = Col(field.model._meta.db_table, field)
                    convert = connection.ops.get_db_converters(col)
                    convert += col.get_db_converters(connection)
                    if convert:
                        found.append((index, col, convert))
                    index += 1
            self._converters[connection.alias] = found
        return found

    def convert(self, row: Sequence, connection, converters: list | None = None) -> list:
        """The leading columns' values as the ORM would read them."""
        values = list(row[: self.width])
        if converters is None:
            converters = self.converters(connection)
        for index, col, convert in converters:
            for converter in convert:
                values[index] = converter(values[index], col, connection)
        return values

    def convert_all(self, rows: Iterable[Sequence], connection) -> list[list]:
        """`convert` of each row, with the database's converters looked up once."""
        connection = connections[connection.alias]  # not through django.db.connection's proxy
        converters = self.converters(connection)
        return [self.convert(row, connection, converters) for row in rows]

    def _objects(self, values: list, alias: str) -> list[Model]:
        objects, at = [], 0
        for (model, _), names in zip(self.groups, self._names, strict=True):
            objects.append(model.from_db(alias, names, values[at : at + len(names)]))
            at += len(names)
        return objects

    def read(self, row: Sequence, connection) -> list[Model]:
        return self._objects(self.convert(row, connection), connection.alias)

    def read_all(self, rows: Iterable[Sequence], connection) -> list[list[Model]]:
        """`read` of each row, with the database's converters looked up once."""
        alias = connection.alias
        return [self._objects(values, alias) for values in self.convert_all(rows, connection)]


class RowWriter:
    """`bulk_create` for one model with its INSERT built once per database and row count.

    For the rows a booking writes inside SQLite's one write lock, where building the ORM's
    INSERT cost several times running it. The same contract as `bulk_create`: no `save()`,
    no signals; each value is prepared as the ORM prepares it (`pre_save`, so `auto_now`
    fields are stamped, then `get_db_prep_save`); a generated primary key comes back by
    RETURNING (SQLite 3.35+, PostgreSQL) and the instances are marked saved. With
    `signals=True`, each instance's pre_save and post_save are sent as `save()` sends them,
    for a model whose rows a receiver completes.
    """

    def __init__(self, model: type[Model], *, signals: bool = False):
        opts = model._meta
        self.model = model
        self.signals = signals
        self.auto_pk = opts.auto_field is not None and opts.pk is opts.auto_field
        self.fields = [
            f
            for f in opts.local_concrete_fields
            if not f.generated and not (self.auto_pk and f is opts.pk)
        ]
        self._sql: dict[tuple[str, int], str] = {}

    def sql(self, connection, count: int) -> str:
        key = (connection.alias, count)
        sql = self._sql.get(key)
        if sql is None:
            qn = connection.ops.quote_name
            row = f"({', '.join(['%s'] * len(self.fields))})"
            sql = (
                f"INSERT INTO {qn(self.model._meta.db_table)} "
                f"({', '.join(qn(f.column) for f in self.fields)}) "
                f"VALUES {', '.join([row] * count)}"
            )
            if self.auto_pk:
                sql += f" RETURNING {qn(self.model._meta.pk.column)}"
            self._sql[key] = sql
        return sql

    def insert(self, objs: Sequence[Model], using: str = "default") -> Sequence[Model]:
        """Insert `objs` (in batches the database can take) and mark them saved."""
        if not objs:
            return objs
        connection = connections[using]
        size = connection.ops.bulk_batch_size(self.fields, objs) or len(objs)
        for obj in objs:  # as bulk_create: refuse unsaved related objects, take their ids
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
        if self.signals:
            for obj in objs:
                signals.pre_save.send(
                    self.model, instance=obj, raw=False, using=using, update_fields=None
                )
        # As bulk_create: a failed INSERT inside a transaction dooms it.
        with transaction.mark_for_rollback_on_error(using):
            for start in range(0, len(objs), size):
                self._insert(objs[start : start + size], connection)
        if self.signals:
            for obj in objs:
                signals.post_save.send(
                    self.model,
                    instance=obj,
                    created=True,
                    update_fields=None,
                    raw=False,
                    using=using,
                )
        return objs

    def _insert(self, objs: Sequence[Model], connection) -> None:
        params = [
            field.get_db_prep_save(field.pre_save(obj, True), connection)
            for obj in objs
            for field in self.fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(self.sql(connection, len(objs)), params)
            ids = cursor.fetchall() if self.auto_pk else None
        for index, obj in enumerate(objs):
            if ids is not None:
                obj.pk = ids[index][0]
            obj._state.adding = False
            obj._state.db = connection.alias
