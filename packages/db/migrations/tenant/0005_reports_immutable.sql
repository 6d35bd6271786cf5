-- A built report is what was signed and sent: its content, hash and identity never change.
-- Only delivered_at may be set (once). Corrections are new versions (amendments).
CREATE FUNCTION "reports_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'reports are immutable: DELETE refused' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (NEW.id, NEW.day, NEW.site_id, NEW.version, NEW.content, NEW.sha256, NEW.previous_sha256,
      NEW.file_name, NEW.blocking_errors, NEW.warnings, NEW.amendment_reason, NEW.amended_by, NEW.built_at)
     IS DISTINCT FROM
     (OLD.id, OLD.day, OLD.site_id, OLD.version, OLD.content, OLD.sha256, OLD.previous_sha256,
      OLD.file_name, OLD.blocking_errors, OLD.warnings, OLD.amendment_reason, OLD.amended_by, OLD.built_at)
     OR (OLD.delivered_at IS NOT NULL AND NEW.delivered_at IS DISTINCT FROM OLD.delivered_at) THEN
    RAISE EXCEPTION 'reports are immutable: only delivered_at may be set, once' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "reports_no_change" BEFORE UPDATE OR DELETE ON "reports"
  FOR EACH ROW EXECUTE FUNCTION "reports_immutable"();
