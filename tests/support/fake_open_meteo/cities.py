"""Real cities the fake Open-Meteo geocoder knows, with the coordinates the real API returns."""

from __future__ import annotations

from pathlib import Path

from entrypoints.loadtest.report import city_tuples

COUNTRIES = {
    "US": "United States",
    "GB": "United Kingdom",
    "FR": "France",
    "DE": "Germany",
    "ES": "Spain",
    "IT": "Italy",
    "CH": "Switzerland",
    "IS": "Iceland",
    "JP": "Japan",
    "AU": "Australia",
    "CA": "Canada",
    "MX": "Mexico",
    "BR": "Brazil",
    "IN": "India",
    "EG": "Egypt",
}

_LA, _NY = "America/Los_Angeles", "America/New_York"
_CHI, _DEN = "America/Chicago", "America/Denver"

# The ten a load test hammers (deploy/locustfile.py says which); the rest are the long tail.
LOCUSTFILE = Path(__file__).resolve().parents[3] / "deploy" / "locustfile.py"
HOT_CITIES = city_tuples(LOCUSTFILE)["HOT_CITIES"]

# (name, latitude, longitude, country code, timezone)
CITIES: tuple[tuple[str, float, float, str, str], ...] = (
    ("San Jose", 37.33939, -121.89496, "US", _LA),
    ("San Francisco", 37.77493, -122.41942, "US", _LA),
    ("New York", 40.71427, -74.00597, "US", _NY),
    ("Los Angeles", 34.05223, -118.24368, "US", _LA),
    ("Chicago", 41.85003, -87.65005, "US", _CHI),
    ("Seattle", 47.60621, -122.33207, "US", _LA),
    ("Austin", 30.26715, -97.74306, "US", _CHI),
    ("Boston", 42.35843, -71.05977, "US", _NY),
    ("Denver", 39.73915, -104.9847, "US", _DEN),
    ("Miami", 25.77427, -80.19366, "US", _NY),
    ("Topeka", 39.04833, -95.67804, "US", _CHI),
    ("Eugene", 44.05207, -123.08675, "US", _LA),
    ("Boise", 43.6135, -116.20345, "US", "America/Boise"),
    ("Portland", 45.52345, -122.67621, "US", _LA),
    ("Sacramento", 38.58157, -121.4944, "US", _LA),
    ("Fresno", 36.74773, -119.77237, "US", _LA),
    ("San Diego", 32.71571, -117.16472, "US", _LA),
    ("Las Vegas", 36.17497, -115.13722, "US", _LA),
    ("Spokane", 47.65966, -117.42908, "US", _LA),
    ("Phoenix", 33.44838, -112.07404, "US", "America/Phoenix"),
    ("Tucson", 32.22174, -110.92648, "US", "America/Phoenix"),
    ("Albuquerque", 35.08449, -106.65114, "US", _DEN),
    ("Salt Lake City", 40.76078, -111.89105, "US", _DEN),
    ("Dallas", 32.78306, -96.80667, "US", _CHI),
    ("Houston", 29.76328, -95.36327, "US", _CHI),
    ("San Antonio", 29.42412, -98.49363, "US", _CHI),
    ("Oklahoma City", 35.46756, -97.51643, "US", _CHI),
    ("Wichita", 37.69224, -97.33754, "US", _CHI),
    ("Kansas City", 39.09973, -94.57857, "US", _CHI),
    ("Omaha", 41.25626, -95.94043, "US", _CHI),
    ("Des Moines", 41.60054, -93.60911, "US", _CHI),
    ("Minneapolis", 44.97997, -93.26384, "US", _CHI),
    ("Madison", 43.07305, -89.40123, "US", _CHI),
    ("Milwaukee", 43.0389, -87.90647, "US", _CHI),
    ("Nashville", 36.16589, -86.78444, "US", _CHI),
    ("New Orleans", 29.95465, -90.07507, "US", _CHI),
    ("Detroit", 42.33143, -83.04575, "US", "America/Detroit"),
    ("Cleveland", 41.4995, -81.69541, "US", _NY),
    ("Pittsburgh", 40.44062, -79.99589, "US", _NY),
    ("Philadelphia", 39.95233, -75.16379, "US", _NY),
    ("Baltimore", 39.29038, -76.61219, "US", _NY),
    ("Washington", 38.89511, -77.03637, "US", _NY),
    ("Atlanta", 33.749, -84.38798, "US", _NY),
    ("Charlotte", 35.22709, -80.84313, "US", _NY),
    ("Raleigh", 35.7721, -78.63861, "US", _NY),
    ("Orlando", 28.53834, -81.37924, "US", _NY),
    ("Tampa", 27.94752, -82.45843, "US", _NY),
    ("Burlington", 44.47588, -73.21207, "US", _NY),
    ("Anchorage", 61.21806, -149.90028, "US", "America/Anchorage"),
    ("Honolulu", 21.30694, -157.85833, "US", "Pacific/Honolulu"),
    ("London", 51.50853, -0.12574, "GB", "Europe/London"),
    ("Paris", 48.85341, 2.3488, "FR", "Europe/Paris"),
    ("Berlin", 52.52437, 13.41053, "DE", "Europe/Berlin"),
    ("Munich", 48.13743, 11.57549, "DE", "Europe/Berlin"),
    ("Madrid", 40.4165, -3.70256, "ES", "Europe/Madrid"),
    ("Rome", 41.89193, 12.51133, "IT", "Europe/Rome"),
    ("Zurich", 47.36667, 8.55, "CH", "Europe/Zurich"),
    ("Reykjavík", 64.13548, -21.89541, "IS", "Atlantic/Reykjavik"),
    ("Tokyo", 35.6895, 139.69171, "JP", "Asia/Tokyo"),
    ("Sydney", -33.86785, 151.20732, "AU", "Australia/Sydney"),
    ("Toronto", 43.70011, -79.4163, "CA", "America/Toronto"),
    ("Mexico City", 19.42847, -99.12766, "MX", "America/Mexico_City"),
    ("São Paulo", -23.5475, -46.63611, "BR", "America/Sao_Paulo"),
    ("Mumbai", 19.07283, 72.88261, "IN", "Asia/Kolkata"),
    ("Cairo", 30.06263, 31.24967, "EG", "Africa/Cairo"),
)
