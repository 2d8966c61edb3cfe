"""Care as the program gives it: rooms and machines, site closures, pathways, clinic days and courses."""
