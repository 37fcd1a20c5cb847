"""One small name -> class registry, shared by generators, maskers and writers.

Built-ins register the same way a third party would (``@generators.register("zipf")``), so a
profile rule can name any registered implementation without the core knowing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from paritygen.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A mapping of names to implementations, with a clear error for unknown names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(item: T) -> T:
            if name in self._items and self._items[name] is not item:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = item
            return item

        return decorate

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise ConfigError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))


generators: Registry[type] = Registry("generator")
writers: Registry[type] = Registry("writer")
maskers: Registry[type] = Registry("masker")
