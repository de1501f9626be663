"""Permission-matrix rows for the operators' pages; test_permission_matrix.py collects them.

Only 系统运维 (operators) see the status page; the POST is checked in tests/test_ops_status.py.
"""

OPS_POST = ["ops_retry_messages"]


def ops_pages(w):
    return [("ops_status", "/staff/status/", {"operator"})]
