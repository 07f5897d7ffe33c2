"""The auth gateway: the platform's only public entry.

Two halves in one process:

* ``identity`` (a FastAPI app): users, roles, OAuth clients, API keys, ``/auth/*``, the token
  endpoint and the JWKS, backed by the gateway's own database;
* ``edge`` (pure ASGI, no FastAPI routing per request): request ids, CORS, body limits, rate
  limits, API-key exchange and the reverse proxy to the four services by path prefix.

``app.create_app()`` composes them.
"""
