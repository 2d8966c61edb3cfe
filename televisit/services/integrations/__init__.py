"""Systems that call us: SMART Backend Services clients of the FHIR facade (an EHR), their registration, the
tokens we issue them and the scopes those tokens carry."""
