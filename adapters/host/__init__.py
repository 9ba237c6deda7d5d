"""Adapters over the host's file system, shared by the workers of one instance."""
