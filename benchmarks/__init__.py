"""``make bench``: latency, CPU, cold start and memory, ours against the official SDK."""
