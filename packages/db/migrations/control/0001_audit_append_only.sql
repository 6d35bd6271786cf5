-- The audit log is append-only for everyone working through the application: rows can
-- be inserted, never updated, deleted or truncated. (A database superuser can still
-- tamper; the hash chain and the anchors in control.audit_anchors make that visible.)
CREATE FUNCTION "control"."audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_update_delete" BEFORE UPDATE OR DELETE ON "control"."audit_log"
  FOR EACH ROW EXECUTE FUNCTION "control"."audit_log_append_only"();
--> statement-breakpoint
CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "control"."audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "control"."audit_log_append_only"();
