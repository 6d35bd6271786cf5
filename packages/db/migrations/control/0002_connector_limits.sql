ALTER TABLE "control"."connector_credentials" ADD COLUMN "max_body_bytes" integer;--> statement-breakpoint
ALTER TABLE "control"."connector_credentials" ADD COLUMN "max_batches_per_minute" integer;