CREATE TABLE "alert_recipients" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"channel" text NOT NULL,
	"address" text NOT NULL,
	"min_severity" text DEFAULT 'warning' NOT NULL,
	"quiet_from_hour" integer,
	"quiet_to_hour" integer,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_recipients_channel_address_key" UNIQUE("channel","address"),
	CONSTRAINT "alert_recipients_channel" CHECK ("alert_recipients"."channel" in ('email', 'sms')),
	CONSTRAINT "alert_recipients_severity" CHECK ("alert_recipients"."min_severity" in ('info', 'warning', 'critical')),
	CONSTRAINT "alert_recipients_quiet_hours" CHECK (("alert_recipients"."quiet_from_hour" is null) = ("alert_recipients"."quiet_to_hour" is null) and coalesce("alert_recipients"."quiet_from_hour", 0) between 0 and 23 and coalesce("alert_recipients"."quiet_to_hour", 0) between 0 and 23)
);
--> statement-breakpoint
CREATE TABLE "connector_sources" (
	"connector_id" uuid NOT NULL,
	"source_id" text NOT NULL,
	"config" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connector_sources_connector_id_source_id_pk" PRIMARY KEY("connector_id","source_id")
);
--> statement-breakpoint
CREATE TABLE "tag_mappings" (
	"variable_id" uuid PRIMARY KEY NOT NULL,
	"connector_id" uuid NOT NULL,
	"source_id" text NOT NULL,
	"tag_key" text NOT NULL,
	"address" jsonb NOT NULL,
	"scale" double precision DEFAULT 1 NOT NULL,
	"offset" double precision DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tag_mappings_connector_tag_key" UNIQUE("connector_id","tag_key")
);
--> statement-breakpoint
ALTER TABLE "tag_mappings" ADD CONSTRAINT "tag_mappings_variable_id_variables_id_fk" FOREIGN KEY ("variable_id") REFERENCES "public"."variables"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tag_mappings_connector_idx" ON "tag_mappings" USING btree ("connector_id");