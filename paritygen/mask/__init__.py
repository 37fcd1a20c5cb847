"""mask: a pseudonymised copy of production, joins intact, nothing personal left.

:mod:`paritygen.mask.keys` holds the secret, :mod:`paritygen.mask.maskers` the keyed,
format-preserving transforms (pure functions of values and key, registered in
:data:`paritygen.registry.maskers`), :mod:`paritygen.mask.rules` decides what happens to each table
and column, :mod:`paritygen.mask.copy` streams one table from source to target and
:mod:`paritygen.mask.run` runs the whole command.
"""
