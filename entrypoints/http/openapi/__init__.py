"""The API docs: the OpenAPI configuration, the examples each route documents, and the
Swagger UI files /schema serves."""
