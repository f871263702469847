"""Units of activity data: each is converted to the canonical unit of its dimension.

The canonical units are the ones the shipped mapping prices in: kWh (energy), L (volume of
fuel), km (distance), kg (mass) and USD (money). Names are matched case-insensitively.
"""

from __future__ import annotations

BTU_PER_KWH = 3412.14163  # International Table Btu per kWh (NIST SP 811)
GALLON_L = 3.785411784  # US liquid gallon, exact
MILE_KM = 1.609344  # international mile, exact
POUND_KG = 0.45359237  # avoirdupois pound, exact

# unit -> (canonical unit, factor): amount in canonical unit = amount x factor
_UNITS: dict[str, tuple[str, float]] = {
    "kwh": ("kWh", 1.0),
    "mwh": ("kWh", 1e3),
    "gwh": ("kWh", 1e6),
    "mj": ("kWh", 1.0 / 3.6),
    "gj": ("kWh", 1e3 / 3.6),
    "mmbtu": ("kWh", 1e6 / BTU_PER_KWH),
    "therm": ("kWh", 1e5 / BTU_PER_KWH),
    "l": ("L", 1.0),
    "litre": ("L", 1.0),
    "liter": ("L", 1.0),
    "m3": ("L", 1e3),
    "gal": ("L", GALLON_L),
    "km": ("km", 1.0),
    "mi": ("km", MILE_KM),
    "mile": ("km", MILE_KM),
    "kg": ("kg", 1.0),
    "t": ("kg", 1e3),
    "tonne": ("kg", 1e3),
    "lb": ("kg", POUND_KG),
    "short_ton": ("kg", 2000 * POUND_KG),
    "usd": ("USD", 1.0),
    "kusd": ("USD", 1e3),
}

CANONICAL = ("kWh", "L", "km", "kg", "USD")


def canonical(unit: str) -> tuple[str, float] | None:
    """(canonical unit, factor) for a unit name, or None when the name is unknown."""
    return _UNITS.get(unit.strip().lower())


def units_of(canonical_unit: str) -> list[str]:
    """The unit names that convert to ``canonical_unit`` (for error messages)."""
    return [name for name, (unit, _) in _UNITS.items() if unit == canonical_unit]
