"""Operations: is this process ready to serve (GET /readyz), and the gauges read when /metrics is scraped."""
