"""The assessment service of the smart party-building platform (智慧党建).

It will own indicator systems, assessment cycles (考核评价), automatic and manual scores, grades,
rankings, rectification and incentive lists, feedback, dashboards and the city report.

It serves its API under ``/api/assessment/`` and keeps its data in its own database. For now it is
a placeholder: it answers ``/healthz``, ``/readyz`` and ``/metrics`` and has an empty baseline
migration; its features land with their issues.
"""
