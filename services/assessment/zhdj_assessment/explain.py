"""A per-indicator explanation in Chinese, for the target's own published result."""

from __future__ import annotations

from typing import Any

from zhdj_assessment.models import CycleTarget, Indicator, Score
from zhdj_assessment.vocabulary import GRADE_LABELS, Grade, IndicatorKind, Method, ScoreStatus


def _fmt(x: float) -> str:
    return f"{x:g}"


def explain(indicator: Indicator, score: Score | None) -> str:
    status = score.status if score else ScoreStatus.PENDING.value
    if status == ScoreStatus.UNAVAILABLE:
        return "数据来源暂不可用，本项待重新计算，不计为零分。"
    if status == ScoreStatus.PENDING:
        return "本项由考核人员评分，尚未评分。"
    assert score is not None
    got = f"得分 {_fmt(score.points or 0.0)}/{_fmt(indicator.max_score)}"
    if indicator.kind == IndicatorKind.MANUAL:
        note = score.evidence.get("note")
        text = f"考核人员评分，{got}。" + (f"依据：{note}" if note else "")
    elif status == ScoreStatus.NO_DATA:
        text = f"来源无该项数据（如无评价、无应开展活动），{got}。"
    else:
        value = _fmt(score.value if score.value is not None else 0.0)
        params = indicator.params
        if indicator.method == Method.BANDS:
            bands = "；".join(f"≥{_fmt(t)} 得 {_fmt(f * 100)}%" for t, f in params["bands"])
            rule = f"分档计分（{bands}）"
        elif indicator.method == Method.LINEAR:
            rule = f"线性计分（{_fmt(params['floor'])} 为零分，{_fmt(params['target'])} 为满分）"
        else:
            rule = f"按比例计分（目标 {_fmt(float(params.get('target', 1.0)))}）"
        text = f"数值 {value}，{rule}，{got}。"
    if indicator.veto and score.fraction is not None and score.fraction < indicator.veto_below:
        text += "本项为一票否决项，未通过，总分封顶。"
    return text


def explain_adjustment(target: CycleTarget, table: dict[str, float] | None) -> str | None:
    """How the alliances' grades moved a member organization's total (None when no rule)."""
    if table is None or target.target_kind != "org":
        return None
    basis: list[dict[str, Any]] | None = target.adjustment_basis
    if basis is None:
        return "所在联合体信息暂不可用，联合体等次加减分待重新计算。"
    if not basis:
        return "未参加本期已发布考核的党建联合体，不作联合体等次加减分。"
    parts = "；".join(
        f"“{b['name']}”{GRADE_LABELS[Grade(b['grade'])]}（{float(b['points']):+g} 分）"
        for b in basis
    )
    rule = "，".join(f"{GRADE_LABELS[Grade(g)]} {float(p):+g}" for g, p in table.items())
    base = _fmt(target.base_total) if target.base_total is not None else "-"
    got = _fmt(target.total) if target.total is not None else "-"
    adj = f"{target.adjustment:+g}" if target.adjustment is not None else "0"
    return (
        f"所在党建联合体本期考核结果：{parts}。按联合体等次加减分（{rule}，多个联合体取平均），"
        f"本项 {adj} 分：{base} → {got}（不低于 0、不超过满分，一票否决封顶不变）。"
    )
