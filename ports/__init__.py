"""Abstract ports the domain talks through; adapters implement them."""
