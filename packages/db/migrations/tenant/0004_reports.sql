CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"severity" text NOT NULL,
	"audience" text[] NOT NULL,
	"subject" text NOT NULL,
	"message" text NOT NULL,
	"data" jsonb NOT NULL,
	"raised_at" timestamp (3) with time zone NOT NULL,
	"resolved_at" timestamp (3) with time zone,
	CONSTRAINT "alerts_kind_subject_key" UNIQUE("kind","subject")
);
--> statement-breakpoint
CREATE TABLE "delivery_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"host" text NOT NULL,
	"port" integer DEFAULT 21 NOT NULL,
	"tls_mode" text DEFAULT 'explicit' NOT NULL,
	"tls_ca_pem" text,
	"remote_dir" text DEFAULT '/' NOT NULL,
	"file_pattern" text NOT NULL,
	"username" text NOT NULL,
	"password_sealed" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "delivery_settings_single_row" CHECK ("delivery_settings"."id" = 1),
	CONSTRAINT "delivery_settings_tls_mode" CHECK ("delivery_settings"."tls_mode" in ('explicit', 'none')),
	CONSTRAINT "delivery_settings_port" CHECK ("delivery_settings"."port" between 1 and 65535)
);
--> statement-breakpoint
CREATE TABLE "report_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "report_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"report_id" uuid NOT NULL,
	"started_at" timestamp (3) with time zone NOT NULL,
	"finished_at" timestamp (3) with time zone NOT NULL,
	"outcome" text NOT NULL,
	"host" text NOT NULL,
	"remote_path" text NOT NULL,
	"bytes" integer,
	"read_back_sha256" text,
	"replies" jsonb NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"day" date NOT NULL,
	"site_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"content" text NOT NULL,
	"sha256" text NOT NULL,
	"previous_sha256" text,
	"file_name" text NOT NULL,
	"blocking_errors" integer NOT NULL,
	"warnings" integer NOT NULL,
	"amendment_reason" text,
	"amended_by" uuid,
	"built_at" timestamp (3) with time zone NOT NULL,
	"delivered_at" timestamp (3) with time zone,
	CONSTRAINT "reports_day_site_version_key" UNIQUE("day","site_id","version"),
	CONSTRAINT "reports_file_name_key" UNIQUE("file_name")
);
--> statement-breakpoint
ALTER TABLE "report_deliveries" ADD CONSTRAINT "report_deliveries_report_id_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."reports"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "public"."sites"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "report_deliveries_report_idx" ON "report_deliveries" USING btree ("report_id");--> statement-breakpoint
CREATE INDEX "reports_undelivered_idx" ON "reports" USING btree ("day") WHERE "reports"."delivered_at" is null;