"""The registry service: the organization tree and, as its issue lands, units and coverage,
party members and positions, alliances, venues, volunteer teams and community grids.

Layers: ``models`` (tables), ``schemas`` (API shapes), ``repositories`` (every query),
``services`` (domain rules; they only flush), ``routers`` (HTTP only), ``app`` (the factory).
"""
