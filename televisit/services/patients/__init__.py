"""Patients: records, accounts, intake, find care, 'my visits'."""
