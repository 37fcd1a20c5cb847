"""Round trips of profile scalars through the float form generators interpolate."""

import pytest

from paritygen.profile.values import from_number, to_number


@pytest.mark.parametrize(
    ("value", "logical"),
    [
        ("9999-12-31T23:59:59.999999", "datetime"),  # sentinel "open end" timestamps
        ("0001-01-01T00:00:00", "datetime"),
        ("2024-03-01T10:00:00.500000", "datetime"),
        ("9999-12-31", "date"),
        ("1970-01-01", "date"),
        ("23:59:59.500000", "time"),
    ],
)
def test_temporal_round_trip_survives_extremes(value: str, logical: str) -> None:
    assert from_number(to_number(value, logical), logical) == value


def test_integers_round_to_int() -> None:
    assert from_number(41.6, "integer") == 42
