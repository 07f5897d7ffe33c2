"""The service-requests service of the smart party-building platform (智慧党建).

It will own the service catalog (departments, items, procedures), resident requests (群众诉求) from
submission to rating, dispatch, working-day deadlines on the Asia/Shanghai calendar, escalation,
webhooks to subscribers, and an Open311 GeoReport v2 interface for third parties.

It serves its API under ``/api/service-requests/`` (and ``/open311/v2/``) and keeps its data in its
own database. For now it is a placeholder: it answers ``/healthz``, ``/readyz`` and ``/metrics``
and has an empty baseline migration; its features land with their issues.
"""
