"""The platform's OAuth scopes and roles (the gateway grants them, services require them)."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    REGISTRY_READ = "registry:read"
    REGISTRY_WRITE = "registry:write"
    # Claim and release volunteer posts (认领志愿服务岗): members do it themselves, without
    # the registry-wide write scope (which staff hold; their writes are checked per org).
    REGISTRY_VOLUNTEER = "registry:volunteer"
    ACTIVITY_READ = "activity:read"
    ACTIVITY_WRITE = "activity:write"
    REQUESTS_READ = "requests:read"
    REQUESTS_WRITE = "requests:write"
    ASSESSMENT_READ = "assessment:read"
    ASSESSMENT_WRITE = "assessment:write"
    IDENTITY_ADMIN = "identity:admin"


class Role(StrEnum):
    """Roles of a user or client; org-bound roles act for the token's ``orgs``."""

    ADMIN = "admin"  # platform administrator: every organization, identity administration
    ORG_STAFF = "org_staff"  # secretary / staff of organizations (and everything below them)
    SERVICE_STAFF = "service_staff"  # community / street service-center staff
    ASSESSOR = "assessor"  # organization department, assessment
    MEMBER = "member"  # party member
    RESIDENT = "resident"  # resident (居民)
    SERVICE = "service"  # another part of the platform calling with client credentials
    THIRD_PARTY = "third_party"  # an external system with its own credentials


ROLE_LABELS_ZH: dict[Role, str] = {
    Role.ADMIN: "平台管理员",
    Role.ORG_STAFF: "党组织工作人员",
    Role.SERVICE_STAFF: "服务中心工作人员",
    Role.ASSESSOR: "考核人员",
    Role.MEMBER: "党员",
    Role.RESIDENT: "居民",
    Role.SERVICE: "平台内部服务",
    Role.THIRD_PARTY: "第三方系统",
}
