"""The HTTP edge: one folder per feature (weather/, status/, admin/), what they all pass
through (middleware/), their docs (openapi/), and at the top only what every slice shares."""
