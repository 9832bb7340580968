"""History helpers: record the acting user where there is no request (jobs, commands, services)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace

from simple_history.models import HistoricalRecords


@contextlib.contextmanager
def acting_user(user) -> Iterator[None]:
    """Attribute every history row written inside the block to `user`.

    Inside a web request simple-history reads the user from the request; a job,
    command or service without one wraps its writes in this block.
    """
    previous = getattr(HistoricalRecords.context, "request", None)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            with contextlib.suppress(AttributeError):
                del HistoricalRecords.context.request
        else:
            HistoricalRecords.context.request = previous


def field_changes(record) -> list[dict]:
    """Field-level diff of one historical record against the one before it."""
    previous = record.prev_record
    if previous is None:
        return [
            {"field": field.verbose_name, "old": None, "new": getattr(record, field.attname)}
            for field in record.instance_type._meta.fields
            if field.attname not in {"id", "created_at", "updated_at"}
            and getattr(record, field.attname, None) not in (None, "")
        ]
    delta = record.diff_against(previous)
    model_meta = record.instance_type._meta
    changes = []
    for change in delta.changes:
        try:
            label = model_meta.get_field(change.field).verbose_name
        except Exception:  # a field removed since; show its stored name
            label = change.field
        changes.append({"field": label, "old": change.old, "new": change.new})
    return changes
