"""SPARQL text as this server reads it before the engine does: tokens, and the grammar's reading."""

from .lexer import Token, tokens
from .parser import (
    Declaration, Load, Operation, Reading, Service, SyntaxLimits, acts_on_nothing, parse_query, parse_update,
)

__all__ = [
    "Declaration", "Load", "Operation", "Reading", "Service", "SyntaxLimits", "Token", "acts_on_nothing", "parse_query",
    "parse_update", "tokens",
]
