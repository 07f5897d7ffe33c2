"""Every query of the activity service lives here."""
