"""Contracts the kernel states in its own words and code: mining, the phrasing tables, resolution."""
