"""The default indicator system, 融合党建工作标准体系 (DOMAIN.md, "Long-term standard system"),
seeded by migration 0002 as version 1 of code ``rhdj-standard``, for alliances.

Dimension weights add up to 100; each indicator's points are out of its ``max_score`` inside its
dimension. The veto dimension weighs 0: its indicator only caps a result (一票否决).
"""

from __future__ import annotations

from typing import Any

DEFAULT_SYSTEM_ID = "system-rhdj-standard-v1"
DEFAULT_SYSTEM: dict[str, Any] = {
    "code": "rhdj-standard",
    "name": "融合党建工作标准体系",
    "target_kind": "alliance",
    "grade_bands": {"excellent": 90, "good": 80, "fair": 60},
    "rectification_below": 60,
    "veto_cap": 59,
    "incentive_share": 0.2,
    "appeal_days": 15,
}


def _auto(
    code: str, name: str, metric: str, method: str, params: dict[str, Any], max_score: float
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "kind": "auto",
        "metric": metric,
        "method": method,
        "params": params,
        "max_score": max_score,
    }


def _manual(code: str, name: str, max_score: float, **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": name, "kind": "manual", "max_score": max_score, **extra}


def _linear(floor: float, target: float) -> dict[str, Any]:
    return {"floor": floor, "target": target}


# (code, name, weight, indicators)
DEFAULT_DIMENSIONS: list[tuple[str, str, float, list[dict[str, Any]]]] = [
    (
        "coverage",
        "组织覆盖",
        10,
        [
            _auto(
                "coverage.members",
                "成员党组织数量",
                "registry.member_orgs",
                "bands",
                {"bands": [[10, 1.0], [6, 0.8], [3, 0.6]]},
                10,
            )
        ],
    ),
    (
        "leadership",
        "班子建设",
        10,
        [_manual("leadership.team", "班子协商产生、轮值召集人到位", 10)],
    ),
    (
        "duties",
        "职责履行",
        10,
        [
            _auto(
                "duties.lectures",
                "成员党组织书记讲党课",
                "activity.secretary_lecture_rate",
                "ratio",
                {"target": 1.0},
                10,
            )
        ],
    ),
    ("funding", "经费保障", 8, [_manual("funding.sources", "上级拨、各方筹、党费补落实", 8)]),
    ("venues", "阵地建设", 8, [_manual("venues.shared", "共享活动阵地、固定办公场所", 8)]),
    (
        "service",
        "服务引领",
        12,
        [
            _auto(
                "service.resolution",
                "群众诉求办结率",
                "requests.resolution_rate",
                "linear",
                _linear(0.6, 0.95),
                6,
            ),
            _auto(
                "service.on_time",
                "按期办结率",
                "requests.on_time_rate",
                "linear",
                _linear(0.6, 0.95),
                6,
            ),
        ],
    ),
    (
        "team_building",
        "队伍建设",
        8,
        [
            _auto(
                "team.attendance",
                "活动出勤率",
                "activity.attendance_rate",
                "linear",
                _linear(0.5, 0.9),
                8,
            )
        ],
    ),
    (
        "pioneer",
        "先锋示范",
        10,
        [
            _auto(
                "pioneer.volunteers",
                "志愿服务人次",
                "activity.volunteer_person_times",
                "bands",
                {"bands": [[200, 1.0], [100, 0.8], [30, 0.6], [1, 0.3]]},
                6,
            ),
            _auto(
                "pioneer.demonstration",
                "精品示范点",
                "registry.demonstration_site",
                "bands",
                {"bands": [[1, 1.0]]},
                4,
            ),
        ],
    ),
    ("care", "关怀激励", 6, [_manual("care.incentives", "党员关怀帮扶与激励措施", 6)]),
    (
        "activity_compliance",
        "活动合规",
        10,
        [
            _auto(
                "compliance.cadence",
                "“五个一”及三会一课按期开展",
                "activity.compliance_rate",
                "linear",
                _linear(0.6, 1.0),
                10,
            )
        ],
    ),
    (
        "satisfaction",
        "群众满意",
        8,
        [
            _auto(
                "satisfaction.residents",
                "群众满意率",
                "requests.satisfaction_rate",
                "linear",
                _linear(0.7, 0.95),
                8,
            )
        ],
    ),
    (
        "veto",
        "一票否决",
        0,
        [
            _manual(
                "veto.discipline",
                "无严重违纪违法、重大安全责任事故(1=无, 0=有)",
                1,
                veto=True,
                veto_below=1.0,
            )
        ],
    ),
]


def default_rows() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The seed rows: the system and its indicators (dimensions first), with stable ids."""
    system = {
        "id": DEFAULT_SYSTEM_ID,
        "version": 1,
        "active": True,
        "created_by": "seed",
        **DEFAULT_SYSTEM,
    }
    rows: list[dict[str, Any]] = []
    for d_order, (code, name, weight, indicators) in enumerate(DEFAULT_DIMENSIONS):
        dim_id = f"{DEFAULT_SYSTEM_ID}-{code}"
        rows.append(_row(dim_id, None, code, name, "dimension", d_order, weight=weight))
        for i_order, ind in enumerate(indicators):
            extra = {k: v for k, v in ind.items() if k not in ("code", "name", "kind")}
            rows.append(
                _row(
                    f"{DEFAULT_SYSTEM_ID}-{ind['code']}",
                    dim_id,
                    ind["code"],
                    ind["name"],
                    ind["kind"],
                    i_order,
                    **extra,
                )
            )
    return system, rows


def _row(
    id_: str, parent: str | None, code: str, name: str, kind: str, order: int, **extra: Any
) -> dict[str, Any]:
    return {
        "id": id_,
        "system_id": DEFAULT_SYSTEM_ID,
        "parent_id": parent,
        "code": code,
        "name": name,
        "kind": kind,
        "weight": 0.0,
        "max_score": 0.0,
        "metric": None,
        "method": None,
        "params": {},
        "veto": False,
        "veto_below": 1.0,
        "sort_order": order,
        **extra,
    }
