"""Frozen, slotted dataclasses that pickle cheaply: every record crosses a process boundary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T")


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Pickle a frozen, slotted dataclass as (class, field values), rebuilt by its __init__.

    Python pickles such classes through `dataclasses._dataclass_getstate/_setstate`, which
    call `fields()` for every object. Each extracted page sends ~20 of them from the
    extraction process to the crawler, whose one core unpickles them all: that path was
    ~15% of the crawler's GIL time (py-spy, 2,100-page crawl).
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    if any(not f.init for f in fields(cls)):  # type: ignore[arg-type]
        raise TypeError(f"{cls.__name__}: every field must be an __init__ argument")
    get: Callable[[Any], Any] = attrgetter(*names)
    values = get if len(names) > 1 else (lambda obj: (get(obj),))

    def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls
