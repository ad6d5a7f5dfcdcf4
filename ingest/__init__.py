"""Sources that bring write-ups into kb: the mirror, the catalog, and live fetchers."""
