"""Generic test helpers: the fixed cast, access assertions and the permission matrix.

- `fixtures`: pytest fixtures for the cast (owner-team member, outsider of
  another team, an outsider data officer, superuser) and signed-in clients;
- `assertions`: 404 on an object's pages, absence from lists, counts,
  exports, searches and history pages;
- `matrix`: the registry of cross-team cases, one or more per URL route,
  that tests/test_permission_matrix.py runs against every route.
"""
