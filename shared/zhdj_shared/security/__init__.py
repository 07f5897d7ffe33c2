"""Token verification (:mod:`.tokens`) and authorization (:mod:`.authz`)."""
