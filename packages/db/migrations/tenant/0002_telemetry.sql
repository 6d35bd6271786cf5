CREATE TABLE "channel_state" (
	"variable_id" uuid PRIMARY KEY NOT NULL,
	"last_timestamp" double precision NOT NULL,
	"last_value" double precision NOT NULL,
	"unchanged_since" double precision NOT NULL,
	"ewma_mean" double precision NOT NULL,
	"ewma_variance" double precision NOT NULL,
	"seen" double precision NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connector_aggregates" (
	"variable_id" uuid NOT NULL,
	"slot_start" timestamp with time zone NOT NULL,
	"batch_seq" bigint NOT NULL,
	"count" integer NOT NULL,
	"mean" double precision NOT NULL,
	"min" double precision NOT NULL,
	"max" double precision NOT NULL,
	"first_ts" timestamp (3) with time zone NOT NULL,
	"first_value" double precision NOT NULL,
	"last_ts" timestamp (3) with time zone NOT NULL,
	"last_value" double precision NOT NULL,
	"worst_quality" text NOT NULL,
	CONSTRAINT "connector_aggregates_variable_id_slot_start_batch_seq_pk" PRIMARY KEY("variable_id","slot_start","batch_seq")
);
--> statement-breakpoint
CREATE TABLE "day_rule_results" (
	"day" date NOT NULL,
	"rule_id" text NOT NULL,
	"subject" text NOT NULL,
	"status" text NOT NULL,
	"detail" jsonb NOT NULL,
	"evaluated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "day_rule_results_day_rule_id_subject_pk" PRIMARY KEY("day","rule_id","subject")
);
--> statement-breakpoint
CREATE TABLE "dirty_slots" (
	"variable_id" uuid NOT NULL,
	"slot_start" timestamp with time zone NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dirty_slots_variable_id_slot_start_pk" PRIMARY KEY("variable_id","slot_start")
);
--> statement-breakpoint
CREATE TABLE "ingest_batches" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ingest_batches_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"id" uuid NOT NULL,
	"origin" text NOT NULL,
	"connector_id" uuid,
	"connector_sequence" bigint,
	"author_id" uuid,
	"manual_kind" text,
	"note" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"sample_count" integer NOT NULL,
	"stored_count" integer NOT NULL,
	"aggregate_count" integer NOT NULL,
	"first_ts" timestamp (3) with time zone,
	"last_ts" timestamp (3) with time zone,
	"digest" text NOT NULL,
	"body" "bytea",
	"body_format" text NOT NULL,
	"status" text DEFAULT 'stored' NOT NULL,
	"validated_at" timestamp (3) with time zone,
	CONSTRAINT "ingest_batches_id_unique" UNIQUE("id"),
	CONSTRAINT "ingest_batches_origin" CHECK ("ingest_batches"."origin" in ('connector', 'manual')),
	CONSTRAINT "ingest_batches_status" CHECK ("ingest_batches"."status" in ('stored', 'validated')),
	CONSTRAINT "ingest_batches_body_format" CHECK ("ingest_batches"."body_format" in ('json', 'ndjson'))
);
--> statement-breakpoint
CREATE TABLE "pipeline_stages" (
	"stage" text PRIMARY KEY NOT NULL,
	"last_run_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "report_days" (
	"day" date PRIMARY KEY NOT NULL,
	"generated_at" timestamp with time zone,
	"needs_amendment" boolean DEFAULT false NOT NULL,
	"late_slots" integer DEFAULT 0 NOT NULL,
	"last_late_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "time_partitions" (
	"name" text PRIMARY KEY NOT NULL,
	"parent" text NOT NULL,
	"range_start" timestamp with time zone NOT NULL,
	"range_end" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "time_partitions_parent_start_key" UNIQUE("parent","range_start")
);
--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "atmospheric_pressure_psia" double precision;--> statement-breakpoint
ALTER TABLE "variables" ADD COLUMN "expected_per_slot" integer DEFAULT 10 NOT NULL;--> statement-breakpoint
ALTER TABLE "variables" ADD COLUMN "rollover_at" double precision;--> statement-breakpoint
CREATE INDEX "ingest_batches_pending_idx" ON "ingest_batches" USING btree ("seq") WHERE "ingest_batches"."status" = 'stored';--> statement-breakpoint
ALTER TABLE "variables" ADD CONSTRAINT "variables_expected_per_slot" CHECK ("variables"."expected_per_slot" between 1 and 60000);