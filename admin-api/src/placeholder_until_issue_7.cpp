// Replaced by the admin API (issue 7).
