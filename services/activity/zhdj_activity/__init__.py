"""The activity service of the smart party-building platform (智慧党建).

It will own planned and held activities (三会一课, themed party days / 主题党日, alliance
meetings, lectures, visits, reviews, volunteer service), attendance, minutes, attachments, the
tamper-evident record of every change, cadence rules and compliance, venue bookings and
volunteer hours.

It serves its API under ``/api/activity/`` and keeps its data in its own database. For now it is a
placeholder: it answers ``/healthz``, ``/readyz`` and ``/metrics`` and has an empty baseline
migration; its features land with their issues.
"""
