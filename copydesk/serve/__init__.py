"""`copydesk serve`: the HTTP API and the web console, on the CLI's own queries."""
