"""API shapes of the service-requests service (request bodies and responses)."""
