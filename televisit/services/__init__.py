"""Use cases, one package per capability (DESIGN.md, 'Layout')."""
