"""Request and response shapes of the registry's API."""
