"""Domain rules of the activity service: they only flush; the request's unit of work commits."""
