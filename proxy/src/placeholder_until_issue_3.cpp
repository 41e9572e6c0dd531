// Replaced by the proxy sessions (issue 3).
