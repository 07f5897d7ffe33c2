"""Business rules of the assessment service (only flush: the request's unit of work commits)."""
