"""Patient pages: account, find care, my appointments, the signed links' pages."""
