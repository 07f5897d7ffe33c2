"""Every query of the assessment service."""
