"""The gateway's identity half: users, roles, OAuth clients, API keys, tokens and signing keys.

:func:`zhdj_gateway.identity.app.create_identity_app` builds the FastAPI app the edge wraps.
"""
