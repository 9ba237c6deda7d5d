"""Bounds every upstream field is decoded within, before anything of it is cached.

msgspec checks them while it decodes; its ge/le also refuse inf and nan. A value outside
them (a name of a megabyte, a latitude of 1e308, 5,000 °C) makes the answer unusable.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from domain.model.query import MAX_CITY_LENGTH

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_CITY_LENGTH)]
Short = Annotated[str, msgspec.Meta(max_length=MAX_CITY_LENGTH)]  # countries, time zones
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Celsius = Annotated[float, msgspec.Meta(ge=-100, le=70)]  # Earth's records: -89.2, 56.7
Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]
Timestamp = Annotated[str, msgspec.Meta(max_length=32)]  # "2026-11-26T01:45"
Epoch = Annotated[int, msgspec.Meta(ge=946_684_800, le=4_102_444_800)]  # 2000 to 2100
