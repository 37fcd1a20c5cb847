"""Verify: measure staging against production's profile, and report volumes and parity.

``compare`` holds the parity measures, ``measures`` the sketch distances, ``tolerances`` the bars,
``violations`` / ``privacy`` the SQL-side checks, ``diff`` the profile-to-profile comparison and
``report`` the md / json / csv / html renderings.
"""

from paritygen.verify.compare import Measure, ParityResult, compare_profiles, verify_database
from paritygen.verify.tolerances import Tolerances, read_tolerances

__all__ = [
    "Measure",
    "ParityResult",
    "Tolerances",
    "compare_profiles",
    "read_tolerances",
    "verify_database",
]
