"""Benchmarks for Televisit on PostgreSQL: `python -m bench.booking_bench --help`."""
