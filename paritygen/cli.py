"""The command line: parse, call a stage, print, return an exit status.

Every command is thin: the work lives in the stage packages. Any :class:`ParitygenError` becomes one
line on stderr and its exit status; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from paritygen import __version__
from paritygen.errors import ExitStatus, ParitygenError, redact


def _fail(message: str, status: ExitStatus) -> None:
    click.echo(f"paritygen: error: {redact(message)}", err=True)
    sys.exit(int(status))


def _traceback() -> None:
    """--debug: the traceback on stderr (passwords redacted); the exit code stays documented."""
    import traceback

    click.echo(redact(traceback.format_exc()).rstrip(), err=True)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into one line and an exit code (traceback only with --debug)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(click.get_current_context().find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except ParitygenError as exc:
            if debug:
                _traceback()
                if exc.detail:
                    click.echo(f"paritygen: detail: {redact(exc.detail)}", err=True)
            _fail(str(exc), exc.exit_status)
        except KeyboardInterrupt:
            _fail("interrupted", ExitStatus.INTERRUPTED)
        except Exception as exc:  # an unexpected failure is still one line, unless --debug
            if debug:
                _traceback()
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            _fail(
                f"unexpected {exc.__class__.__name__}: {first_line}"
                " (rerun with --debug for the traceback)",
                ExitStatus.ERROR,
            )

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="paritygen")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
def cli(debug: bool) -> None:
    """paritygen: give staging production's data in quality and quantity.

    \b
    profile   measure a production database (read-only) into a profile file
    generate  fill a staging database with synthetic rows shaped like the profile
    mask      copy production into staging with every personal value pseudonymised
    verify    measure staging against the profile; exit 1 when out of bars
    report    volume / parity report (md, json, csv, html)
    diff      how production changed between two profiles
    run       a scheduled refresh from a job file (profile, fill, verify, report, history)
    demo      the whole loop on an embedded SQLite shop, no server needed

    Database URLs are SQLAlchemy URLs (postgresql://, mysql://, sqlite:///file.db) or env:VAR
    to read one from the environment. Exit codes: 0 ok, 1 parity check failed, 2 error,
    3 another run holds the target (generate, mask, run), 130 interrupted.
    """
    _setup_logging()


@cli.command()
@click.option(
    "--dir", "directory", default="demo-out", show_default=True,
    type=click.Path(file_okay=False), help="Where production, profile and staging files go.",
)  # fmt: skip
@click.option(
    "--scale", default=1.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
    help="Size of the shop (1.0 is about 175k rows).",
)  # fmt: skip
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed.")
@handle_errors
def demo(directory: str, scale: float, seed: int) -> None:
    """The whole loop on an embedded SQLite shop: build, profile, generate, verify.

    Exit 1 when staging misses a parity bar, 2 when a stage fails or is unavailable.
    """
    from paritygen.demo.loop import run_demo, summary_lines

    result = run_demo(directory, scale=scale, seed=seed, echo=click.echo)
    for line in summary_lines(result):
        click.echo(line)
    if result.parity is not None and not result.parity.passed:
        sys.exit(int(ExitStatus.CHECK_FAILED))


def _write_text(output: str, text: str) -> None:
    """Write a command's -o file (see :func:`paritygen.files.write_atomic`)."""
    from paritygen.files import write_atomic

    write_atomic(output, text)


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@cli.command()
@click.argument("source_url")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Profile file to write (.yaml, or .json). Its rules: section is kept.",
)
@click.option(
    "--schema",
    default=None,
    help="Schema to profile (default: public on PostgreSQL, the URL's database on MariaDB).",
)
@click.option("--tables", default=None, help="Only these tables (comma-separated).")
@click.option("--exclude", default=None, help="Leave out these tables (comma-separated).")
@click.option(
    "--sample-rows",
    default=1_000_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Tables with more rows are measured from an in-database sample.",
)
@click.option(
    "--min-group-size",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="A value is kept in the profile only when seen at least this many times.",
)
@click.option(
    "--estimate-rows", is_flag=True, help="Take row counts from the catalog instead of count(*)."
)
@click.option(
    "--reference-rows",
    default=1_000,
    show_default=True,
    type=click.IntRange(min=0),
    help="Tables of at most this many rows with no personal data are kept verbatim and come out"
    " exactly (lookup tables); 0 keeps none.",
)
@click.option(
    "--progress/--no-progress", default=None, help="Progress bar (default: only on a terminal)."
)
@click.option(
    "--infer-keys", is_flag=True,
    help="Propose the primary and foreign keys the schema does not declare (from names,"
    " confirmed by the values) into rules:, marked inferred, for review.",
)  # fmt: skip
@handle_errors
def profile(
    source_url: str,
    output: str,
    schema: str | None,
    tables: str | None,
    exclude: str | None,
    sample_rows: int,
    min_group_size: int,
    estimate_rows: bool,
    reference_rows: int,
    progress: bool | None,
    infer_keys: bool,
) -> None:
    """Measure a database, read-only, into a profile file (aggregates only, no raw PII).

    SOURCE_URL is a SQLAlchemy URL (postgresql://, mysql://, sqlite:///file.db) or env:VAR.
    """
    import time
    from pathlib import Path

    from paritygen.profile.io import read_profile, write_profile
    from paritygen.profile.run import profile_database

    started = time.perf_counter()
    previous = Path(output)
    rules = read_profile(previous).rules if previous.exists() else None
    notes: list[str] = []
    result = profile_database(
        source_url,
        schema=schema,
        tables=_csv(tables) or None,
        exclude=_csv(exclude),
        sample_rows=sample_rows,
        min_group_size=min_group_size,
        estimate_rows=estimate_rows,
        progress=progress,
        rules=rules,
        notes=notes,
        reference_rows=reference_rows,
        infer_keys=infer_keys,
    )
    path = write_profile(result, output)
    for note in notes:
        click.echo(f"paritygen: note: {note}", err=True)
    if infer_keys:
        from paritygen.profile.infer import summary

        click.echo(f"paritygen: {summary(result, rules)} -> review rules: in {path}", err=True)
    rows = sum(t.row_count for t in result.tables.values())
    sampled = sum(1 for t in result.tables.values() if t.sample_method)
    click.echo(
        f"profiled {len(result.tables)} tables, {rows:,} rows"
        f"{f' ({sampled} sampled)' if sampled else ''} in {time.perf_counter() - started:.1f} s"
        f" -> {path}"
    )


@cli.command()
@click.argument("profile_path", metavar="PROFILE", type=click.Path(dir_okay=False))
@click.option(
    "--target", required=True, metavar="URL",
    help="Staging database to fill (SQLAlchemy URL or env:VAR). Never production.",
)  # fmt: skip
@click.option(
    "--scale", default=1.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
    help="Multiply every table's profiled row count (tables pinned by a rule and lookup tables"
    " keep theirs); a finite number above 0.",
)  # fmt: skip
@click.option(
    "--scale-lookups", is_flag=True,
    help="Scale lookup tables too (small code tables such as currencies keep their rows by"
    " default; see docs/generate.md).",
)  # fmt: skip
@click.option(
    "--seed", default=0, show_default=True, type=int,
    help="Random seed: the same profile, seed and scale give the same database.",
)  # fmt: skip
@click.option(
    "--tables", default=None, metavar="A,B",
    help="Only these tables (comma-separated); their parents must already hold rows made with"
    " the same seed and scale.",
)  # fmt: skip
@click.option(
    "--schema-mode", default="auto", show_default=True,
    type=click.Choice(["auto", "create", "existing"]),
    help="create: build the tables from the profile; existing: fill tables that exist, after"
    " listing every difference from the profile; auto: create when absent, else existing"
    " (tables the target lacks are created).",
)  # fmt: skip
@click.option(
    "--if-exists", default="fail", show_default=True,
    type=click.Choice(["fail", "truncate", "append"]),
    help="When target tables already hold rows: stop and name them, empty them first, or add"
    " (appended keys start past the existing maximum key, so they never collide).",
)  # fmt: skip
@click.option(
    "--resume", is_flag=True,
    help="Finish a run that was killed or failed: keep the tables it completed, reload the rest"
    " (same profile, seed, scale and tables required).",
)  # fmt: skip
@click.option(
    "--allow-production-name", is_flag=True,
    help="Write even though a name of the target says prod/production/prd/live. Never lifts the"
    " refusal to write into the profiled source or --source.",
)  # fmt: skip
@click.option(
    "--source", default=None, metavar="URL",
    help="Production's URL: the target is refused when the server says it is this database.",
)  # fmt: skip
@click.option(
    "--create-database", is_flag=True, help="Create the target database when it does not exist.",
)  # fmt: skip
@click.option(
    "--max-rows", default=100_000_000, show_default=True, type=click.IntRange(min=1),
    help="Refuse a run planning more rows than this (raise it for big runs).",
)  # fmt: skip
@click.option(
    "--max-bytes", default="50GiB", show_default=True, metavar="SIZE",
    help="Refuse a run whose estimated size (profile bytes per row x rows) is above this"
    " (e.g. 500MiB, 2TiB).",
)  # fmt: skip
@click.option(
    "--chunk-rows", default=None, type=click.IntRange(min=1), metavar="N",
    help="Rows per chunk sent to the database (rounded to 65,536; the data does not change).",
)  # fmt: skip
@click.option(
    "--progress/--no-progress", default=None,
    help="Progress bars per table and overall (default: on a terminal only).",
)  # fmt: skip
@click.option(
    "--create-virtual-fks", is_flag=True,
    help="Also create the profile's virtual keys (rules:) as constraints in the target.",
)  # fmt: skip
@click.option(
    "--jobs", default=None, type=click.IntRange(min=1), metavar="N",
    help="Sessions loading tables, building keys and running ANALYZE side by side (default:"
    " the cores this process may use, at most 8; 1: one table after another). The tables"
    " hold the same rows for any N.",
)  # fmt: skip
@click.option(
    "--schema-from", default=None, metavar="SOURCE_URL",
    help="Build the target's schema (views, triggers, routines, every index) from this source"
    " of the same database with its own read-only dump tool (pg_dump --schema-only /"
    " mariadb-dump --no-data), then load the rows into it; triggers and events are added after"
    " the load. Replaces the source's tables in the target (rows only with --if-exists"
    " truncate).",
)  # fmt: skip
@handle_errors
def generate(
    profile_path: str,
    target: str,
    scale: float,
    seed: int,
    tables: str | None,
    schema_mode: str,
    if_exists: str,
    chunk_rows: int | None,
    resume: bool,
    allow_production_name: bool,
    source: str | None,
    create_database: bool,
    max_rows: int,
    max_bytes: str,
    progress: bool | None,
    create_virtual_fks: bool,
    scale_lookups: bool,
    jobs: int | None,
    schema_from: str | None,
) -> None:
    """Fill a staging database with synthetic rows shaped like PROFILE.

    Every table gets exactly round(rows x scale) rows (lookup tables keep theirs); keys, unique
    constraints, foreign keys, NOT NULL and CHECK constraints hold; columns and FK fan-out
    follow the profile. Rows go through each database's bulk path (COPY, LOAD DATA LOCAL
    INFILE). Prints rows and seconds per table.

    \b
    Never writes into the profiled source or --source (asked of the server), nor into a
    production-named database; one run per target (exit 3 when another holds it). A killed run
    is finished by the same command with --if-exists truncate, or --resume.

    \b
    Example:
      paritygen generate profiles/shop.yaml --target postgresql://staging/shop --scale 0.1
    """
    import gc

    from paritygen.profile.io import read_profile
    from paritygen.run.generate import check_scale, generate_database
    from paritygen.run.target import parse_size

    check_scale(scale)

    profile = read_profile(profile_path)
    # The modules imported and the profile (a 240-table one is ~300,000 objects) live until the
    # process ends: kept out of the cyclic collector, its full passes cost 0.13 s, not 0.35 s.
    gc.freeze()
    names = [t.strip() for t in tables.split(",") if t.strip()] if tables else None
    summary = generate_database(
        profile,
        target,
        scale=scale,
        seed=seed,
        tables=names,
        schema_mode=schema_mode,
        if_exists=if_exists,
        progress=progress,
        chunk_rows=chunk_rows,
        allow_production_name=allow_production_name,
        create_virtual_fks=create_virtual_fks,
        resume=resume,
        source=source,
        create_database=create_database,
        max_rows=max_rows,
        max_bytes=parse_size(max_bytes),
        scale_lookups=scale_lookups,
        schema_from=schema_from,
        jobs=jobs,
    )
    width = max((len(name) for name in summary.tables), default=5)
    for name, table in summary.tables.items():
        rate = table.rows / table.seconds if table.seconds > 0 else 0.0
        click.echo(
            f"{name:<{width}}  {table.rows:>12,} rows  {table.seconds:>8.2f} s"
            f"  {rate:>12,.0f} rows/s"
        )
    total_rate = summary.rows / summary.seconds if summary.seconds > 0 else 0.0
    click.echo(
        f"{'total':<{width}}  {summary.rows:>12,} rows  {summary.seconds:>8.2f} s"
        f"  {total_rate:>12,.0f} rows/s"
    )


@cli.command()
@click.option("--source", required=True, metavar="URL", help="Production database (read only).")
@click.option(
    "--target", required=True, metavar="URL",
    help="Staging database to fill (SQLAlchemy URL or env:VAR). Never the source.",
)  # fmt: skip
@click.option(
    "--profile", "profile_path", default=None, type=click.Path(dir_okay=False),
    help="Profile of the source: its PII tags and rules (and statistics, for tables or columns"
    " in generate mode). Default: the source is profiled from a small sample first.",
)  # fmt: skip
@click.option(
    "--rules", "rules_path", default=None, type=click.Path(dir_okay=False),
    help="Rules file (tables: {name: {mode, columns: {col: {mode, masker, params}}}}); wins over"
    " the profile's rules.",
)  # fmt: skip
@click.option(
    "--key-env", default=None, metavar="VAR",
    help="Environment variable holding the secret masking key (default PARITYGEN_MASK_KEY).",
)  # fmt: skip
@click.option("--tables", default=None, metavar="A,B", help="Only these tables.")
@click.option(
    "--schema-mode", default="auto", show_default=True,
    type=click.Choice(["auto", "create", "existing"]),
    help="create the tables, fill existing ones, or auto.",
)  # fmt: skip
@click.option(
    "--if-exists", default="fail", show_default=True, type=click.Choice(["fail", "truncate"]),
    help="When target tables hold rows: stop and name them, or empty them first (a rerun"
    " after a crash).",
)  # fmt: skip
@click.option(
    "--resume", is_flag=True,
    help="Finish an unfinished (killed, failed) run: keep the tables it completed, copy the"
    " others again. Needs the same tables, rules, seed and key.",
)  # fmt: skip
@click.option(
    "--allow-production-name", is_flag=True,
    help="Write even though the target's name says prod/production/live.",
)  # fmt: skip
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of generated values.")
@click.option(
    "--chunk-rows", default=None, type=click.IntRange(min=1), metavar="N",
    help="Rows per chunk sent to the database (rounded to 65,536).",
)  # fmt: skip
@click.option(
    "--jobs", default=None, type=click.IntRange(min=1), metavar="N",
    help="Sessions copying tables, building keys and running ANALYZE side by side (default:"
    " the cores this process may use, at most 8; 1: one table after another). The target"
    " holds the same rows for any N.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--progress/--no-progress", default=None,
    help="Progress bars per table and overall (default: on a terminal only).",
)  # fmt: skip
@handle_errors
def mask(
    source: str, target: str, profile_path: str | None, rules_path: str | None,
    key_env: str | None, tables: str | None, schema_mode: str, if_exists: str, resume: bool,
    allow_production_name: bool, seed: int, chunk_rows: int | None, jobs: int | None,
    as_json: bool, progress: bool | None,
) -> None:  # fmt: skip
    """Copy production (--source) into staging (--target) with PII columns pseudonymised.

    Keyed (HMAC-SHA256, secret from --key-env), deterministic and format-preserving: the same
    value gives the same pseudonym in every table and run, so joins on masked values hold.
    Tables are read in one read-only snapshot, in dependency order, through the bulk path.
    Prints rows, masked values and collisions resolved per table. A killed or failed run is
    finished by the same command with --if-exists truncate (or --resume). See docs/mask.md.

    \b
    Example:
      export PARITYGEN_MASK_KEY=$(openssl rand -hex 32)   # keep it: same key, same pseudonyms
      paritygen mask --source postgresql://prod/shop --target postgresql://staging/shop
    """
    import gc
    import json

    # Importing allocates some 80,000 tracked objects that all live on: the collector's passes
    # while they are made find nothing to free (0.04 s of the start-up's 0.5 s CPU).
    gc.disable()
    from paritygen.mask.run import mask_database, summary_lines
    from paritygen.profile.io import read_profile

    # The modules just imported hold most of the process's objects and live until it ends:
    # kept out of the cyclic collector, its full passes during the copy cost a tenth as much.
    gc.freeze()
    gc.enable()

    summary = mask_database(
        source, target,
        profile=read_profile(profile_path) if profile_path else None,
        rules=rules_path, key_env=key_env, tables=_csv(tables) or None,
        schema_mode=schema_mode, if_exists=if_exists, resume=resume,
        allow_production_name=allow_production_name, progress=progress,
        chunk_rows=chunk_rows, seed=seed, jobs=jobs,
    )  # fmt: skip
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
        return
    for line in summary_lines(summary):
        click.echo(line)


def _load_tolerances(path: str | None, skip: tuple[str, ...]) -> Any:
    """Tolerances from --tolerances FILE, with --skip patterns added (validated the same way)."""
    from dataclasses import replace

    from paritygen.verify.tolerances import Tolerances, read_tolerances, tolerances_from_dict

    tolerances = read_tolerances(path) if path else Tolerances()
    if skip:
        tolerances_from_dict({"skip": list(skip)}, "--skip")  # validates the patterns
        tolerances = replace(tolerances, skip=tolerances.skip + tuple(skip))
    return tolerances


def _parity(
    profile_path: str | None, target: str, source: str | None, scale: float,
    tolerances_path: str | None, skip: tuple[str, ...], tables: str | None, sample_rows: int,
    progress: bool | None, scale_lookups: bool = False,
) -> tuple[Any, Any]:
    """(production profile, ParityResult): the profile file, or the source profiled on the fly."""
    from paritygen.errors import ConfigError
    from paritygen.profile.io import read_profile
    from paritygen.verify.compare import verify_database

    tolerances = _load_tolerances(tolerances_path, skip)
    if profile_path:
        production = read_profile(profile_path)
    elif source:
        from paritygen.profile.run import profile_database

        production = profile_database(
            source, tables=_csv(tables) or None, sample_rows=sample_rows, progress=progress
        )
    else:
        raise ConfigError("give a PROFILE file or --source URL to measure the target against")
    result = verify_database(
        production, target, tolerances=tolerances, sample_rows=sample_rows, source=source,
        progress=progress, scale=scale, tables=_csv(tables) or None, scale_lookups=scale_lookups,
    )  # fmt: skip
    return production, result


@cli.command()
@click.argument("profile_path", metavar="[PROFILE]", required=False,
                type=click.Path(dir_okay=False))
@click.option("--target", required=True, metavar="URL", help="Staging database to measure.")
@click.option("--source", default=None, metavar="URL",
              help="Production, read-only: profiled on the fly when no PROFILE is given, and "
              "searched for staging's identifying PII values and whole-row copies.")
@click.option("--scale", default=1.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="The --scale staging was generated with (rows expected = rows x scale).")
@click.option("--scale-lookups", is_flag=True,
              help="Staging was generated with --scale-lookups (lookup tables scaled too).")
@click.option("--tolerances", "tolerances_path", default=None, type=click.Path(dir_okay=False),
              help="YAML file changing bars, per-target overrides and skips (docs/verify.md).")
@click.option("--skip", multiple=True, metavar="PATTERN",
              help="Skip a measure: 'bytes', 'orders', 'orders.note', 'orders.amount:ks'.")
@click.option("--tables", default=None, help="Only these tables (comma-separated).")
@click.option("--sample-rows", default=1_000_000, show_default=True, type=click.IntRange(min=1),
              help="Tables with more rows are measured from an in-database sample.")
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "json"]), help="text for people, json for machines.")
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="Also write the result (in --format) to this file.")
@click.option("--all", "show_all", is_flag=True, help="List the measures within bars too.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: only on a terminal).")
@handle_errors
def verify(
    profile_path: str | None, target: str, source: str | None, scale: float,
    tolerances_path: str | None, skip: tuple[str, ...], tables: str | None, sample_rows: int,
    fmt: str, output: str | None, show_all: bool, progress: bool | None, scale_lookups: bool,
) -> None:
    """Measure staging against production's profile; exit 1 when any measure misses its bar.

    \b
    paritygen verify profiles/shop.yaml --target postgresql://staging/shop
    paritygen verify --source env:PROD_URL --target env:STAGING_URL
    Exit codes: 0 every measure within its bar, 1 any miss, 2 error.
    """  # fmt: skip
    import json

    from paritygen.verify.text import render_text

    _, result = _parity(profile_path, target, source, scale, tolerances_path, skip, tables,
                        sample_rows, progress, scale_lookups)  # fmt: skip
    text = (
        json.dumps(result.to_dict(), indent=2) if fmt == "json"
        else render_text(result, show_all=show_all)
    )  # fmt: skip
    if output:
        _write_text(output, text + "\n")
    click.echo(text)
    sys.exit(int(ExitStatus.OK if result.passed else ExitStatus.CHECK_FAILED))


@cli.command()
@click.argument("profile_path", metavar="[PROFILE]", required=False,
                type=click.Path(dir_okay=False))
@click.option("--history", "history_path", default=None, type=click.Path(dir_okay=False),
              help="Growth report from a job's history file instead (html, md, csv or json).")
@click.option("--target", default=None, metavar="URL",
              help="Staging database: adds its volumes and the parity verdict.")
@click.option("--source", default=None, metavar="URL",
              help="Production, read-only, for the PII and row-copy checks (needs --target).")
@click.option("--format", "fmt", default="md", show_default=True,
              type=click.Choice(["md", "json", "csv", "html"]))
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="File to write (default: standard output).")
@click.option("--column", "columns", multiple=True, metavar="TABLE.COLUMN",
              help="Also chart this column's distributions (html; repeatable).")
@click.option("--name", default=None, help="Title of the report (e.g. the system's name).")
@click.option("--scale", default=1.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True), help="The --scale of staging.")
@click.option("--scale-lookups", is_flag=True, help="Staging was generated with --scale-lookups.")
@click.option("--tolerances", "tolerances_path", default=None, type=click.Path(dir_okay=False),
              help="YAML file changing bars and skips.")
@click.option("--skip", multiple=True, metavar="PATTERN", help="Skip a measure (repeatable).")
@click.option("--sample-rows", default=1_000_000, show_default=True, type=click.IntRange(min=1))
@click.option("--fail-on-miss", is_flag=True, help="Exit 1 when a parity measure misses.")
@click.option("--progress/--no-progress", default=None)
@handle_errors
def report(
    profile_path: str | None, history_path: str | None, target: str | None, source: str | None,
    fmt: str, output: str | None,
    columns: tuple[str, ...], name: str | None, scale: float, tolerances_path: str | None,
    skip: tuple[str, ...], sample_rows: int, fail_on_miss: bool, progress: bool | None,
    scale_lookups: bool,
) -> None:
    """Volume report: rows and bytes per table, production against staging, and the verdict.

    \b
    paritygen report profiles/shop.yaml --format html -o shop.html
    paritygen report profiles/shop.yaml --target env:STAGING_URL --format json -o parity.json
    paritygen report --history history/shop.jsonl --format html -o growth.html
    """  # fmt: skip
    from paritygen.errors import ConfigError
    from paritygen.profile.io import read_profile
    from paritygen.verify.report import write_report

    if history_path is not None:
        if profile_path or target or source:
            raise ConfigError("--history makes a growth report on its own: drop PROFILE,"
                              " --target and --source")  # fmt: skip
        _growth_report(history_path, fmt, output)
        return
    if profile_path is None:
        raise ConfigError("give a PROFILE (parity / volume report) or --history FILE (growth)")

    parity = None
    if target:
        production, parity = _parity(profile_path, target, source, scale, tolerances_path, skip,
                                     None, sample_rows, progress, scale_lookups)  # fmt: skip
    elif source:
        raise ConfigError("--source needs --target (the staging database to check)")
    else:
        production = read_profile(profile_path)
    text = write_report(production, parity, fmt, output, columns=columns, name=name)
    if output:
        verdict = f": {parity.verdict()}" if parity else ""
        click.echo(f"wrote {fmt} report -> {output}{verdict}", err=True)
    else:
        click.echo(text, nl=False)
    if fail_on_miss and parity is not None and not parity.passed:
        sys.exit(int(ExitStatus.CHECK_FAILED))


def _growth_report(history_path: str, fmt: str, output: str | None) -> None:
    from paritygen.jobs.growth import write_growth

    notes: list[str] = []
    text = write_growth(history_path, fmt, output, notes)
    for note in notes:
        click.echo(f"paritygen: note: {note}", err=True)
    if output:
        click.echo(f"wrote {fmt} growth report -> {output}", err=True)
    else:
        click.echo(text, nl=False)


@cli.command("run")
@click.argument("job_path", metavar="JOB.yaml", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True,
              help="Print the plan (tables, modes, rows and bytes, what is emptied) and the drift;"
              " write nothing.")
@click.option("--force", is_flag=True,
              help="Write although the job does not declare 'environment: staging' (never into"
              " the source).")
@click.option("--log-format", default="text", show_default=True,
              type=click.Choice(["text", "json"]),
              help="Log lines on stderr for people, or one JSON object per line for shippers;"
              " json also prints the summary as JSON.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bars per table (default: on a terminal, text logs only).")
@handle_errors
def run_job_command(
    job_path: str, dry_run: bool, force: bool, log_format: str, progress: bool | None
) -> None:
    """A scheduled refresh: profile, diff, fill staging, verify, report, record growth.

    \b
    paritygen run jobs/shop.yaml              # from cron, systemd, a CronJob, CI
    paritygen run jobs/shop.yaml --dry-run    # the plan, nothing written
    Exit codes: 0 done and in parity, 1 parity missed, 2 error, 3 another run holds the target.
    """  # fmt: skip
    from paritygen.jobs.command import run_from_file

    sys.exit(run_from_file(job_path, dry_run=dry_run, force=force, log_format=log_format,
                           progress=progress, echo=click.echo))  # fmt: skip


@cli.command()
@click.argument("old_path", metavar="OLD", type=click.Path(dir_okay=False))
@click.argument("new_path", metavar="NEW", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", default="text", show_default=True,
              type=click.Choice(["text", "md", "json"]))
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="File to write (default: standard output).")
@handle_errors
def diff(old_path: str, new_path: str, fmt: str, output: str | None) -> None:
    """How production changed between two profiles: growth, schema, distributions that moved."""

    from paritygen.profile.io import read_profile
    from paritygen.verify.diff import diff_profiles, render_diff

    text = render_diff(diff_profiles(read_profile(old_path), read_profile(new_path)), fmt)
    if output:
        _write_text(output, text)
    else:
        click.echo(text, nl=False)


class _NoteHandler(logging.Handler):
    """Stage modules log notices (what was truncated, what a dialect could not express); the
    user sees them as one-line notes on stderr, passwords redacted."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"paritygen: note: {redact(record.getMessage())}", err=True)


def _setup_logging() -> None:
    logger = logging.getLogger("paritygen")
    if not any(isinstance(h, _NoteHandler) for h in logger.handlers):
        logger.addHandler(_NoteHandler(level=logging.WARNING))
    logger.propagate = False


def main() -> None:
    """Console-script entry point.

    Leaves through ``os._exit`` once output is flushed: tearing down the interpreter (numpy,
    polars, the run's pools and metadata) costs about 0.25 s after every command, a fixed cost
    that showed in the 1 M-row benchmark (benchmarks/RESULTS.md). Every file and connection is
    closed by then; only the interpreter's own clean-up is skipped.
    """
    from paritygen.parallel import limit_malloc_arenas, limit_polars_retention

    limit_malloc_arenas()  # before any thread (sessions, producers, stats) allocates
    limit_polars_retention()  # before polars is imported
    try:
        cli.main(prog_name="paritygen")
        status: object = 0
    except SystemExit as exc:
        status = exc.code
    if not isinstance(status, int):
        if status is not None:
            click.echo(str(status), err=True)
        status = 0 if status is None else int(ExitStatus.ERROR)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (| head): nothing to say
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
