"""paritygen: give staging production's data in quality and quantity.

The package is split by stage (profile, generate, writers, verify); see shared/DESIGN.md.
"""

__version__ = "0.1.0"
