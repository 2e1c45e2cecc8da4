"""The machinery every REST dialect shares: operation declarations (`operation`), mounting
with 405/HEAD/auth gating and error styles (`mount`), the body guard (`guard`), parameter
parsers (`params`), JSON Schema checks (`schema`), paging envelopes (`paging`), one OpenAPI
builder (`openapi`) and the HTTP pieces (`http`). A dialect is a package under rest/ that
declares its operations over these; see docs/architecture.md."""
