"""The records a municipality keeps: the annual report, the audit trail and their renderers."""
