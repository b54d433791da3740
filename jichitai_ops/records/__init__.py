"""The estate's registers as data: incidents (SEC-INC), faults (MNT-FAULT) and issues (PM-ISSUES), one
YAML file per record in the records folder beside the alert records (docs/records.md)."""
