"""The jobs process: job definitions as data, each job a thin call into services."""
