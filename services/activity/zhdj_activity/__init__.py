"""The activity service of the smart party-building platform (智慧党建).

Activities of organizations and alliances (三会一课, 主题党日, alliance "五个一", lectures,
visits, reviews, volunteer service...), attendance, the hash-chained full-process record
(全程纪实), attachments, cadence rules and compliance, venue bookings, volunteer hours,
statistics and an iCalendar feed, under ``/api/activity/``. See docs/activity.md.
"""
