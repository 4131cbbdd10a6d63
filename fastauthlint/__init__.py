"""fastauthlint: static analysis of authentication in FastAPI codebases."""

__version__ = "0.1.0"
