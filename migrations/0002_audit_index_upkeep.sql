-- Cheaper index upkeep on audit_log, for the same searches (issue 6). Every row
-- the writer copies in costs one entry per index; the random-key ones (user,
-- reversed host, client) are most of PostgreSQL's work per row.

-- Newest-first reads scan the time index backwards, so it can be ascending. A new
-- row then sorts after every existing entry and PostgreSQL appends it to the
-- cached rightmost leaf without descending the tree (the descending index made
-- every row descend to the leftmost leaf).
DROP INDEX audit_log_ts;
CREATE INDEX audit_log_ts ON audit_log (ts, instance DESC, seq DESC);

-- An exact host search uses the reversed-host index (`reverse(host) = reverse(x)`,
-- text_pattern_ops has equality), so a second index on host is not needed.
DROP INDEX audit_log_host_ts;

-- Searches by decision look for refusals and errors. Allowed rows, nearly all of
-- them, are found through the time index (the filter rejects few), so the
-- decision index leaves them out.
DROP INDEX audit_log_decision_ts;
CREATE INDEX audit_log_decision_ts ON audit_log (decision, ts) WHERE decision <> 'allow';
