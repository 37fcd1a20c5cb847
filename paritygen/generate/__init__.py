"""Synthetic generation: rows shaped like the profile, streamed to a writer in chunks."""
