-- Path prefixes compare exactly unless a rule says its origin ignores case (IIS,
-- other Windows servers): then "/Admin/" and "/ADMIN/" are one path to the origin,
-- and the rule must match both (issue 16).
ALTER TABLE rules ADD COLUMN path_case text NOT NULL DEFAULT 'exact'
    CHECK (path_case IN ('exact', 'insensitive'));
