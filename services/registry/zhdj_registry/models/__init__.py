"""Every table of the registry (importing this module registers them on the metadata)."""

from zhdj_registry.models.organizations import Organization

__all__ = ["Organization"]
