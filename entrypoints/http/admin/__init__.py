"""Cache admin over HTTP: purge a city, warm a list of cities, behind ADMIN_TOKEN."""
