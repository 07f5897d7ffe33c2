"""Domain rules of the registry. Services check who may act, enforce the rules and only flush;
the request's unit of work commits."""
