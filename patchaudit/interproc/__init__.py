"""Interprocedural questions over the tree index: entry states, sleeping chains, and judging."""
