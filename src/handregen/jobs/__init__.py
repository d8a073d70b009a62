"""Background jobs (decision 0008): django-tasks' database backend, plus what it leaves to us: worker heartbeats,
jobs of lost workers queued again or failed visibly, and scheduled work declared in code."""
