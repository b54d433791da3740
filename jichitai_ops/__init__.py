"""jichitai-ops: the controller-side engine of the work-plan flow (plans, approvals, records, reports,
the service calendar) and the engineer's command line. The Ansible plugins under plugins/ import it."""

__version__ = "0.9.0"
