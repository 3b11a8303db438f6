"""HTTP gateway: the only HTTP entry point (REST API v1, authentication, console). Owns no database."""
