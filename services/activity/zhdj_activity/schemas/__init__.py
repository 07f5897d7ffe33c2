"""API shapes of the activity service."""
