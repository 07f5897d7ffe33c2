"""API shapes of the assessment service."""
