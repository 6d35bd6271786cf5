-- Time-partitioned telemetry (hand-written: drizzle-kit does not declare partitioned
-- tables; their typed shape for queries is in src/schema/telemetry.ts). Partitions are
-- monthly, created ahead by the worker's storage.partitions job (and on demand by ingest),
-- listed in time_partitions, and dropped whole when older than the retention.
--
-- samples: every reading as received (value in the binding's unit, the source's quality),
-- written once, by COPY. The validate stage sets `flag` only where a rule made it other
-- than G (good): once its batch is validated, NULL means good. Canonical-unit values are
-- derived on read from the binding's unit (a binding's unit is fixed for its life), so
-- validation rewrites a handful of rows, not all of them. The primary key
-- makes a repeated (variable, timestamp) harmless: the first one stays. No foreign key to
-- variables: ingest checks every binding, and a per-row RI trigger would halve COPY speed.
CREATE TABLE "samples" (
	"variable_id" uuid NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL,
	"value" double precision,
	"source_status" smallint NOT NULL,
	"source_code" bigint,
	"batch_seq" bigint NOT NULL,
	"flag" smallint,
	CONSTRAINT "samples_pk" PRIMARY KEY ("variable_id", "ts"),
	CONSTRAINT "samples_source_status" CHECK ("source_status" between 0 and 2)
) PARTITION BY RANGE ("ts");
--> statement-breakpoint
-- 10-minute slots (144 per Bogotá day) per variable, recomputed from their own samples.
CREATE TABLE "slots" (
	"variable_id" uuid NOT NULL,
	"slot_start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	"mean" double precision,
	"min" double precision,
	"max" double precision,
	"first" double precision,
	"last" double precision,
	"completeness" double precision NOT NULL,
	"flag" char(1) NOT NULL,
	"delta" double precision,
	"counter_event" text,
	"inner_delta" double precision,
	"manual_count" integer NOT NULL DEFAULT 0,
	"from_connector_aggregate" boolean NOT NULL DEFAULT false,
	"revision" integer NOT NULL DEFAULT 1,
	"computed_at" timestamp with time zone NOT NULL DEFAULT now(),
	CONSTRAINT "slots_pk" PRIMARY KEY ("variable_id", "slot_start"),
	CONSTRAINT "slots_flag" CHECK ("flag" in ('G', 'S', 'E', 'B', 'M'))
) PARTITION BY RANGE ("slot_start");
--> statement-breakpoint
-- What the validation rules found, with their evidence (the values the rule compared).
CREATE TABLE "validation_events" (
	"variable_id" uuid NOT NULL,
	"ts" timestamp (3) with time zone NOT NULL,
	"rule_id" text NOT NULL,
	"severity" text NOT NULL,
	"batch_seq" bigint NOT NULL,
	"value" double precision,
	"value2" double precision,
	"message" text NOT NULL,
	CONSTRAINT "validation_events_pk" PRIMARY KEY ("variable_id", "ts", "rule_id")
) PARTITION BY RANGE ("ts");
--> statement-breakpoint
INSERT INTO "pipeline_stages" ("stage") VALUES ('validate'), ('aggregate'), ('analyse');
--> statement-breakpoint
-- The upload is kept as received, already gzip: PostgreSQL must not try to compress it again.
ALTER TABLE "ingest_batches" ALTER COLUMN "body" SET STORAGE EXTERNAL;
