ALTER TABLE "control"."connector_credentials" ADD COLUMN "enrolled_at" timestamp with time zone DEFAULT now();--> statement-breakpoint
ALTER TABLE "control"."connector_credentials" ADD COLUMN "connector_version" text;--> statement-breakpoint
ALTER TABLE "control"."connector_credentials" ADD COLUMN "buffer_depth" bigint;--> statement-breakpoint
ALTER TABLE "control"."connector_credentials" ADD COLUMN "buffer_oldest_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "control"."connector_credentials" ADD COLUMN "status_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "control"."users" ADD COLUMN "totp_secret_sealed" text;--> statement-breakpoint
ALTER TABLE "control"."users" ADD COLUMN "totp_enabled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "control"."users" ADD COLUMN "totp_last_step" bigint;--> statement-breakpoint
ALTER TABLE "control"."users" ADD COLUMN "sessions_valid_after" timestamp (3) with time zone;