"""What every route passes through: size limits, HEAD, CORS, Date, counting and logging,
rate limiting, and the bearer-token guard."""
