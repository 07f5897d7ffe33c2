"""Every query of the registry lives in these repositories."""
