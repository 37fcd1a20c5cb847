"""The run stage: everything a command does to a target database, around the rows it writes.

``generate`` (synthetic rows), ``mask`` (source rows, pseudonymised) and scheduled jobs all write
into a staging database the same way; this package is that shared way, above ``generate/``
(which only makes rows, and never touches a database) and ``writers/`` (which speak each
database's DDL and bulk path). Modules:

``stage``     :class:`~paritygen.run.stage.TargetRun`, the reusable flow, and
              :class:`~paritygen.run.stage.RunOptions` (schema mode, if-exists, ...)::

                  with TargetRun(profile, url, RunOptions(if_exists="truncate")) as run:
                      mode = run.schema_mode(selected)          # create | existing
                      metadata, appended = run.prepare_schema(names, mode)
                      summary = run.load(metadata, loads)       # list[TableLoad]
                      run.finish(metadata)                      # keys, indexes, FKs, sequences

              Entering the ``with`` runs the production checks and opens the engine and the
              writer; leaving it (normally, on an error, on Ctrl-C) releases them.
``target``    checks on the target before any write: production-looking names, tables that
              already hold rows, the schema mode, the keys already present for an append.
``load``      :class:`~paritygen.run.load.TableLoad` (a table's chunks, from any source) and
              :class:`~paritygen.run.load.Update` (deferred FK columns filled after every table
              holds its rows); :func:`~paritygen.run.load.load_tables` runs them in order.
``progress``  progress bars (only on a terminal by default).
``generate``  the ``generate`` command on this stage: plan, keys and
              :class:`~paritygen.generate.rows.TableRows` turned into ``TableLoad`` objects.

How ``mask`` reuses it: open a ``TargetRun`` with the profile of the source, prepare the schema,
and hand ``run.load`` one ``TableLoad`` per table whose ``chunks(progress)`` reads the source in
chunks, masks them and yields polars frames of the chunk contract (``generate/base.py``).
"""
