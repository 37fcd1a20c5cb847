"""The command line: parse, call a stage, print, return an exit status.

Every command is thin: the work lives in the stage packages. Any :class:`ParitygenError` becomes one
line on stderr and its exit status; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

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


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into one line and an exit code (traceback only with --debug)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(click.get_current_context().find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except ParitygenError as exc:
            if debug:
                raise
            _fail(str(exc), exc.exit_status)
        except KeyboardInterrupt:
            _fail("interrupted", ExitStatus.INTERRUPTED)
        except Exception as exc:  # an unexpected failure is still one line, unless --debug
            if debug:
                raise
            _fail(
                f"unexpected {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
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
    verify    measure staging against the profile; exit 1 when out of bars
    report    volume / parity report (md, json, csv, html)
    diff      how production changed between two profiles
    demo      the whole loop on an embedded SQLite shop, no server needed

    Database URLs are SQLAlchemy URLs (postgresql://, mysql://, sqlite:///file.db) or env:VAR
    to read one from the environment. Exit codes: 0 ok, 1 parity check failed, 2 error.
    """


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="paritygen")


if __name__ == "__main__":
    main()
