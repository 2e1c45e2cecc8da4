"""`make fuzz`: schemathesis against the OpenAPI documents and the GraphQL schema."""
