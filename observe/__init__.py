"""Operating the server: Prometheus metrics, the access log, SQL statement counts
(docs/operations.md)."""
