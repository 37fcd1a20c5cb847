"""Read, validate and write profiles.

Validation happens here, at the file boundary, so every other module can trust a
:class:`~paritygen.profile.model.Profile`. Errors name the exact path and what to do.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from paritygen.errors import ProfileError
from paritygen.files import write_atomic
from paritygen.profile import keys, parse_cache
from paritygen.profile.model import FORMAT, Profile

_ADAPTER = TypeAdapter(Profile)


def _path(loc: tuple[Any, ...]) -> str:
    # pydantic adds the union member's name ("str", "int") to the location; users need the path.
    parts = [str(p) for p in loc if p not in ("str", "int", "float", "bool", "[key]")]
    return ".".join(parts) or "(top level)"


def profile_from_dict(data: Any, origin: str = "profile") -> Profile:
    """Validate plain data (as loaded from YAML/JSON) into a :class:`Profile`."""
    if not isinstance(data, dict):
        raise ProfileError(f"{origin}: not a paritygen profile (expected a mapping at top level)")
    fmt = data.get("format")
    if fmt != FORMAT:
        raise ProfileError(
            f"{origin}: format: expected {FORMAT!r}, found {fmt!r}"
            " (re-create it with 'paritygen profile')"
        )
    try:
        profile = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = exc.error_count() - 1
        tail = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        message = first["msg"].removeprefix("Value error, ")  # our own validators' ValueErrors
        raise ProfileError(f"{origin}: {_path(first['loc'])}: {message}{tail}") from None
    _check_references(profile, origin)
    problems = keys.key_rule_problems(profile.tables, profile.rules)
    if problems:
        raise ProfileError(f"{origin}: {problems[0]}")
    return dataclasses.replace(profile, tables=keys.apply_key_rules(profile.tables, profile.rules))


def _check_references(profile: Profile, origin: str) -> None:
    """Cross-field rules pydantic cannot express: keys and FKs name columns that exist."""
    for tname, table in profile.tables.items():
        where = f"{origin}: tables.{tname}"
        if table.name != tname:
            raise ProfileError(f"{where}.name: {table.name!r} differs from its key {tname!r}")
        for cname, column in table.columns.items():
            if column.name != cname:
                raise ProfileError(
                    f"{where}.columns.{cname}.name: {column.name!r} differs from its key"
                )
        for col in table.primary_key:
            if col not in table.columns:
                raise ProfileError(f"{where}.primary_key: no column {col!r}")
        for i, fk in enumerate(table.foreign_keys):
            fk_where = f"{where}.foreign_keys.{i}"
            if len(fk.columns) != len(fk.ref_columns) or not fk.columns:
                raise ProfileError(f"{fk_where}: columns and ref_columns differ in length")
            for col in fk.columns:
                if col not in table.columns:
                    raise ProfileError(f"{fk_where}.columns: no column {col!r} in {tname}")
            parent = profile.tables.get(fk.ref_table)
            if parent is None:
                raise ProfileError(
                    f"{fk_where}.ref_table: {fk.ref_table!r} is not in the profile"
                    " (profile it too, or drop the foreign key from the file)"
                )
            for col in fk.ref_columns:
                if col not in parent.columns:
                    raise ProfileError(
                        f"{fk_where}.ref_columns: no column {col!r} in {fk.ref_table}"
                    )
        for i, uc in enumerate(table.unique_constraints):
            for col in uc.columns:
                if col not in table.columns:
                    raise ProfileError(f"{where}.unique_constraints.{i}: no column {col!r}")
    for tname, rule in profile.rules.tables.items():
        if tname not in profile.tables:
            raise ProfileError(f"{origin}: rules.tables.{tname}: no such table in the profile")
        for cname in rule.columns:
            if cname not in profile.tables[tname].columns:
                raise ProfileError(
                    f"{origin}: rules.tables.{tname}.columns.{cname}: no such column"
                )


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """Plain data for YAML/JSON, with empty optional fields left out to keep files diffable."""
    return _prune(_ADAPTER.dump_python(profile, mode="json"))


def profile_digest(profile: Profile) -> str:
    """A SHA-256 of the profile's whole content (compact JSON made by pydantic's serializer):
    the same content always gives the same digest, in a tenth of :func:`profile_to_dict`'s time
    on a 240-table profile (0.1 s, not 0.76 s)."""
    return hashlib.sha256(_ADAPTER.dump_json(profile)).hexdigest()


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            item = _prune(item)
            if item is None or item == () or item == [] or (item == {} and key != "tables"):
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


@functools.cache
def _yaml() -> tuple[Any, Any, Any]:
    """(PyYAML, its loader, our dumper), imported on first use: a profile read from
    :mod:`paritygen.profile.parse_cache` never needs them. libyaml's C loader/dumper when PyYAML
    has it: same documents, 3-7x faster on a large profile."""
    import yaml

    class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
        """Block style for mappings, flow style for short scalar lists (quantiles stay one
        line)."""

    def represent_list(dumper: Any, data: list) -> Any:
        flow = all(not isinstance(v, dict | list) for v in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    Dumper.add_representer(list, represent_list)
    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader), Dumper


def dumps(profile: Profile, fmt: str = "yaml") -> str:
    """Serialise a profile as YAML (default) or JSON text."""
    return _dump_data(profile_to_dict(profile), fmt)


def _dump_data(data: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    yaml, _loader, dumper = _yaml()
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)


def write_profile(profile: Profile, path: str | Path) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves half a profile.

    A large YAML profile's data also goes to :mod:`paritygen.profile.parse_cache`, so the
    first ``generate`` after ``profile`` reads it without parsing: the safe dumper quotes any
    string that would load as another type, so loading this text gives back this data (and
    the cache only takes data that JSON carries unchanged)."""
    path = Path(path)
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    data = profile_to_dict(profile)
    text = _dump_data(data, fmt)
    written = write_atomic(path, text, ProfileError)
    if fmt == "yaml":
        parse_cache.remember(text, data)
    return written


def loads(text: str, origin: str = "profile") -> Profile:
    """Parse YAML or JSON text (JSON is YAML) into a validated profile (a large text's data
    comes from :mod:`paritygen.profile.parse_cache` when it was parsed before)."""
    data = parse_cache.cached(text)
    if data is None:
        yaml, loader, _dumper = _yaml()
        try:
            data = yaml.load(text, Loader=loader)  # noqa: S506 (a safe loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", exc)
            raise ProfileError(f"{origin}: not valid YAML{where}: {problem}") from None
        parse_cache.remember(text, data)
    return profile_from_dict(data, origin)


def read_profile(path: str | Path) -> Profile:
    """Read and validate a profile file; every failure is a one-line :class:`ProfileError`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such profile file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read profile ({exc.__class__.__name__})") from None
    return loads(text, str(path))
