"""The synthetic registry: clearly marked made-up patients for demos, tests and benchmarks."""
