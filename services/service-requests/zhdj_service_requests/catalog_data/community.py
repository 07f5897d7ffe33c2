"""The nine kinds of sixteen service functions moved down from the street to central communities.

Each item: (id, name, handler kind, respond days, resolve days, preset button or None,
volunteer post kind or None, materials, steps, regulations).
"""

from __future__ import annotations

from typing import NamedTuple


class SeedItem(NamedTuple):
    id: str
    name: str
    handler_kind: str
    respond_days: int
    resolve_days: int
    preset: str | None
    volunteer_post_kind: str | None
    materials: tuple[str, ...]
    steps: tuple[str, ...]
    regulations: tuple[str, ...]


class SeedCategory(NamedTuple):
    id: str
    name: str
    items: tuple[SeedItem, ...]


_COMMUNITY_STEPS = ("社区党群服务中心受理", "网格员核实情况", "社区审核办理", "结果反馈居民")
_STREET_STEPS = ("社区代办受理", "材料初审", "街道审核", "上报审批", "结果送达")

CATEGORIES: tuple[SeedCategory, ...] = (
    SeedCategory(
        "cat-social-security",
        "社会保障",
        (
            SeedItem(
                "item-pension-enrol",
                "城乡居民基本养老保险参保登记",
                "community",
                1,
                5,
                None,
                None,
                ("居民身份证", "户口簿", "银行卡（社保卡）"),
                _STREET_STEPS,
                (
                    "《中华人民共和国社会保险法》",
                    "《国务院关于建立统一的城乡居民基本养老保险制度的意见》",
                ),
            ),
            SeedItem(
                "item-medical-insurance",
                "城乡居民医疗保险参保缴费",
                "community",
                1,
                3,
                None,
                None,
                ("居民身份证", "户口簿"),
                _COMMUNITY_STEPS,
                ("《中华人民共和国社会保险法》", "《医疗保障基金使用监督管理条例》"),
            ),
        ),
    ),
    SeedCategory(
        "cat-assistance",
        "社会救助",
        (
            SeedItem(
                "item-dibao",
                "最低生活保障申请",
                "street",
                2,
                20,
                None,
                "assistance_care",
                ("居民身份证", "户口簿", "家庭收入及财产状况说明", "家庭经济状况核对授权书"),
                ("社区受理申请", "入户调查", "民主评议", "街道审核", "公示", "区民政局审批"),
                ("《社会救助暂行办法》", "《最低生活保障审核确认办法》"),
            ),
            SeedItem(
                "item-temporary-relief",
                "临时救助申请（困难帮扶求助）",
                "community",
                1,
                5,
                "help",
                "assistance_care",
                ("居民身份证", "困难情况说明", "相关证明材料（医疗票据等）"),
                ("社区受理求助", "网格员上门核实", "社区提出救助意见", "街道审批", "救助金发放"),
                ("《社会救助暂行办法》", "《关于进一步加强和改进临时救助工作的意见》"),
            ),
        ),
    ),
    SeedCategory(
        "cat-elderly",
        "养老服务",
        (
            SeedItem(
                "item-senior-allowance",
                "高龄津贴申领",
                "community",
                1,
                10,
                None,
                None,
                ("老年人身份证", "户口簿", "本人银行卡"),
                _STREET_STEPS,
                ("《中华人民共和国老年人权益保障法》",),
            ),
            SeedItem(
                "item-home-care",
                "居家养老上门服务申请",
                "community",
                1,
                5,
                None,
                "assistance_care",
                ("老年人身份证", "能力评估申请表"),
                ("社区受理", "能力评估", "制定服务计划", "服务机构上门服务", "回访"),
                ("《养老机构管理办法》", "《关于推进基本养老服务体系建设的意见》"),
            ),
        ),
    ),
    SeedCategory(
        "cat-disability",
        "残疾人服务",
        (
            SeedItem(
                "item-disability-card",
                "残疾人证申领",
                "street",
                1,
                15,
                None,
                None,
                ("居民身份证", "户口簿", "近期免冠照片", "残疾评定申请表"),
                ("社区受理", "指定医院评定", "区残联审核", "制发证件"),
                ("《中华人民共和国残疾人保障法》", "《中华人民共和国残疾人证管理办法》"),
            ),
            SeedItem(
                "item-disability-subsidy",
                "困难残疾人生活补贴和重度残疾人护理补贴申请",
                "street",
                1,
                15,
                None,
                "assistance_care",
                ("第二代残疾人证", "居民身份证", "低保证明（生活补贴）"),
                _STREET_STEPS,
                ("《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》",),
            ),
        ),
    ),
    SeedCategory(
        "cat-health",
        "卫生健康",
        (
            SeedItem(
                "item-birth-registration",
                "生育登记服务",
                "community",
                1,
                3,
                None,
                None,
                ("夫妻双方居民身份证", "结婚证"),
                _COMMUNITY_STEPS,
                ("《中华人民共和国人口与计划生育法》",),
            ),
            SeedItem(
                "item-special-family",
                "计划生育特殊家庭扶助申请",
                "street",
                1,
                15,
                None,
                "assistance_care",
                ("夫妻双方居民身份证", "户口簿", "独生子女证明", "子女死亡或伤残证明"),
                _STREET_STEPS,
                ("《全国农村部分计划生育家庭奖励扶助和特别扶助制度管理规范》",),
            ),
        ),
    ),
    SeedCategory(
        "cat-employment",
        "就业创业",
        (
            SeedItem(
                "item-employment-card",
                "就业创业证申领",
                "community",
                1,
                5,
                None,
                "practical_skills",
                ("居民身份证", "近期免冠照片", "学历证明（高校毕业生）"),
                _COMMUNITY_STEPS,
                ("《中华人民共和国就业促进法》", "《就业服务与就业管理规定》"),
            ),
        ),
    ),
    SeedCategory(
        "cat-veterans",
        "退役军人服务",
        (
            SeedItem(
                "item-veteran-card",
                "退役军人优待证申领",
                "community",
                1,
                10,
                None,
                None,
                ("退役证件", "居民身份证", "近期免冠照片"),
                ("社区退役军人服务站受理", "信息采集", "区退役军人事务局审核", "制证发放"),
                ("《中华人民共和国退役军人保障法》", "《退役军人、其他优抚对象优待证管理办法》"),
            ),
        ),
    ),
    SeedCategory(
        "cat-peace",
        "平安法治",
        (
            SeedItem(
                "item-mediation",
                "矛盾纠纷调解",
                "community",
                1,
                10,
                None,
                "legal_advice",
                ("调解申请（可口头）", "相关证据材料"),
                (
                    "人民调解委员会受理",
                    "调查了解情况",
                    "组织调解",
                    "达成协议或告知其他途径",
                    "回访",
                ),
                ("《中华人民共和国人民调解法》",),
            ),
            SeedItem(
                "item-consult",
                "政策法律咨询",
                "community",
                1,
                3,
                "consult",
                "legal_advice",
                (),
                ("社区受理咨询", "转相关部门或法律顾问解答", "答复居民"),
                ("《中华人民共和国公共法律服务条例（草案）》相关规定", "《法律援助法》"),
            ),
        ),
    ),
    SeedCategory(
        "cat-community-affairs",
        "社区事务",
        (
            SeedItem(
                "item-repair",
                "公共设施报修",
                "community",
                1,
                3,
                "repair",
                "convenience",
                ("现场照片（可选）",),
                ("社区受理报修", "网格员现场确认", "派物业或维修单位处理", "验收反馈"),
                ("《物业管理条例》", "《城市市容和环境卫生管理条例》"),
            ),
            SeedItem(
                "item-residence-proof",
                "居住证明开具",
                "community",
                1,
                2,
                None,
                None,
                ("居民身份证", "房产证明或租赁合同"),
                ("社区受理", "网格员核实居住情况", "社区出具证明"),
                ("《居住证暂行条例》",),
            ),
        ),
    ),
)

PRESETS: dict[str, str] = {
    "help": "item-temporary-relief",
    "repair": "item-repair",
    "consult": "item-consult",
}
PRESET_LABELS: dict[str, str] = {"help": "求助", "repair": "报修", "consult": "咨询"}
