"""The HTTP layer: the only code that knows status codes and media types."""
