"""The assessment service of the smart party-building platform (智慧党建).

It owns indicator systems (融合党建工作标准体系, versioned), assessment cycles (考核评价), automatic
scores from the other services' statistics (with their evidence) and manual scores, grades,
rankings, rectification and incentive lists, feedback and appeals. It serves its API under
``/api/assessment/`` and keeps its data in its own database.
"""
