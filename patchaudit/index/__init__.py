"""The tree index: per-file function summaries merged into one SQLite store per tree."""
