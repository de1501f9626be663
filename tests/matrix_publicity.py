"""Permission-matrix rows for the publicity staff pages; test_permission_matrix.py collects them.

Each row is (url name, url, personas allowed); see that module for the persona sets.
"""

# POST-only URL names, each checked by its own test.
PUBLICITY_POST = []


def publicity_pages(w):
    return []
