"""zgckg: the Zhongguancun Haidian Park report as a provenance-backed knowledge graph."""

__version__ = "0.1.0"
