CREATE TABLE "slot_corrections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"variable_id" uuid NOT NULL,
	"slot_start" timestamp with time zone NOT NULL,
	"method" text NOT NULL,
	"value" double precision NOT NULL,
	"reason" text NOT NULL,
	"basis" jsonb,
	"user_id" uuid NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"superseded_at" timestamp (3) with time zone,
	"superseded_by" uuid,
	"reverted_by" uuid,
	"revert_reason" text,
	CONSTRAINT "slot_corrections_method" CHECK ("slot_corrections"."method" in ('substitute', 'interpolate', 'previous_day')),
	CONSTRAINT "slot_corrections_reason" CHECK (length(btrim("slot_corrections"."reason")) >= 10),
	CONSTRAINT "slot_corrections_ended" CHECK (("slot_corrections"."superseded_by" is null and "slot_corrections"."reverted_by" is null) or "slot_corrections"."superseded_at" is not null),
	CONSTRAINT "slot_corrections_revert" CHECK (("slot_corrections"."reverted_by" is null) = ("slot_corrections"."revert_reason" is null))
);
--> statement-breakpoint
ALTER TABLE "slot_corrections" ADD CONSTRAINT "slot_corrections_variable_id_variables_id_fk" FOREIGN KEY ("variable_id") REFERENCES "public"."variables"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "slot_corrections_active_key" ON "slot_corrections" USING btree ("variable_id","slot_start") WHERE "slot_corrections"."superseded_at" is null;--> statement-breakpoint
CREATE INDEX "slot_corrections_slot_idx" ON "slot_corrections" USING btree ("slot_start");--> statement-breakpoint
CREATE INDEX "slot_corrections_variable_idx" ON "slot_corrections" USING btree ("variable_id","slot_start");--> statement-breakpoint
-- Corrections are evidence for the regulator: never deleted, never rewritten. The one
-- change allowed is ending a correction in force (superseded by a newer one, or reverted),
-- once.
CREATE FUNCTION "slot_corrections_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
    RAISE EXCEPTION 'slot_corrections are never deleted: a newer correction supersedes (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.superseded_at IS NOT NULL
     OR (NEW.id, NEW.variable_id, NEW.slot_start, NEW.method, NEW.value, NEW.reason, NEW.basis, NEW.user_id, NEW.created_at)
        IS DISTINCT FROM
        (OLD.id, OLD.variable_id, OLD.slot_start, OLD.method, OLD.value, OLD.reason, OLD.basis, OLD.user_id, OLD.created_at) THEN
    RAISE EXCEPTION 'slot_corrections are immutable: only ending one in force is allowed, once' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "slot_corrections_no_change" BEFORE UPDATE OR DELETE ON "slot_corrections"
  FOR EACH ROW EXECUTE FUNCTION "slot_corrections_append_only"();
--> statement-breakpoint
CREATE TRIGGER "slot_corrections_no_truncate" BEFORE TRUNCATE ON "slot_corrections"
  FOR EACH STATEMENT EXECUTE FUNCTION "slot_corrections_append_only"();
