"""City-scale benchmarks of laiqu against the raw engines (performance.md §5)."""
