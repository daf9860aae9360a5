-- Every run row is closed (issue 11): a step's process records its pid and host, and the
-- next step started on that host marks `interrupted` the runs whose process is gone (killed,
-- out of memory), instead of leaving them `running` forever (warehouse/runs.py step_run).
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host VARCHAR;
COMMENT ON COLUMN runs.pid IS 'Process id of the run; with host, lets a later run see that a running row''s process is gone and mark it interrupted. NULL for runs recorded before migration 0012.';
COMMENT ON COLUMN runs.host IS 'Host name the run ran on (processes of other hosts cannot be checked, so their runs are left as they are).';
COMMENT ON COLUMN runs.status IS 'running, ok, failed, or interrupted (its process died before it finished: marked so by the next run on the same host, or by the next crawl).';
