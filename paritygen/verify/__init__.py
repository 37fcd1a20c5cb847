"""Verify: measure staging against production's profile, and report volumes and parity.

``compare`` takes the parity measures (``verify_database``), ``result`` holds what they found,
``measures`` the sketch distances, ``tolerances`` the bars, ``violations`` / ``privacy`` the
SQL-side checks, ``diff`` the profile-to-profile comparison, ``report`` / ``charts`` / ``text`` the
md / json / csv / html and terminal renderings.
"""

from paritygen.verify.compare import compare_profiles, verify_database
from paritygen.verify.result import Measure, ParityResult
from paritygen.verify.tolerances import Tolerances, read_tolerances

__all__ = [
    "Measure",
    "ParityResult",
    "Tolerances",
    "compare_profiles",
    "read_tolerances",
    "verify_database",
]
