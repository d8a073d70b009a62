"""Reliability drills: crash safety (R2) and backups proven by restore (R6). `make drill` runs them in full."""
