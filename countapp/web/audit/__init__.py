"""The auditors' workspace: the audit log and its chain check, tag control, test counts,
confirmations from third parties, cut-off evidence and the evidence file."""
