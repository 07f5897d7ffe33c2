"""Domain rules of the service-requests service. Services check who may act, enforce the rules and
only flush; the request's unit of work commits."""
