"""Skycache's pure core: weather queries, cache policy and stampede control."""
