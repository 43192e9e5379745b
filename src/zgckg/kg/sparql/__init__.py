"""SPARQL text as this server reads it before the engine does: tokens, and the grammar's reading."""

from .lexer import Token, tokens
from .parser import (
    Declaration, Load, Operation, Reading, Scan, Service, SyntaxLimits, scan, parse_query, parse_update,
)

__all__ = [
    "Declaration", "Load", "Operation", "Reading", "Scan", "Service", "SyntaxLimits", "Token", "scan", "parse_query",
    "parse_update", "tokens",
]
