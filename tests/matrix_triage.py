"""Permission-matrix rows for the triage staff pages; test_permission_matrix.py collects them.

Each row is (url name, url, personas allowed); see that module for the persona sets.
"""

# POST-only URL names, each checked by its own test.
TRIAGE_POST = []


def triage_pages(w):
    return []
