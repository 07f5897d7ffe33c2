"""Every query of the service-requests service (services and routers never build SQL)."""
