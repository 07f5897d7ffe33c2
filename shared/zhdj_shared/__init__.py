"""Common library of the smart party-building platform (智慧党建).

Every part (gateway and the four services) builds its app from these pieces so that a
mechanism exists once: settings, database and unit of work, migrations, problem+json errors,
cursor pagination, request ids and JSON logs, health and metrics, token verification and
authorization, and the inter-service client.
"""
