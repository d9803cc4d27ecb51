"""OpenAPI and Swagger specs: read them, generate data from their schemas, check requests
against them, and serve them the way Prism does."""
