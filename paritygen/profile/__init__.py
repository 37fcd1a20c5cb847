"""Profiling: reflect and measure a database into a :class:`~paritygen.profile.model.Profile`."""
