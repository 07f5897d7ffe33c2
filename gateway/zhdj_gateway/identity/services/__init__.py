"""Domain rules of the identity store. Services take the session, use repositories, ``flush()``
and never commit: the request's unit of work (``zhdj_shared.db.SessionDep``) does."""
