"""The OpenAPI 3 document of /api/v1."""
