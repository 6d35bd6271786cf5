CREATE TABLE "anomalies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"point_id" uuid NOT NULL,
	"variable_id" uuid,
	"detector" text NOT NULL,
	"model_id" uuid NOT NULL,
	"model_version" integer NOT NULL,
	"slot_start" timestamp (3) with time zone NOT NULL,
	"score" double precision NOT NULL,
	"threshold" double precision NOT NULL,
	"evidence" jsonb NOT NULL,
	"alert_id" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "anomalies_point_detector_slot_key" UNIQUE("point_id","detector","slot_start")
);
--> statement-breakpoint
CREATE TABLE "anomaly_feedback" (
	"anomaly_id" uuid PRIMARY KEY NOT NULL,
	"verdict" text NOT NULL,
	"comment" text,
	"user_id" uuid NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "anomaly_models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"point_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"version" integer NOT NULL,
	"trained_at" timestamp (3) with time zone NOT NULL,
	"baseline_from" timestamp (3) with time zone NOT NULL,
	"baseline_to" timestamp (3) with time zone NOT NULL,
	"rows" integer NOT NULL,
	"model" jsonb NOT NULL,
	"threshold" double precision,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "anomaly_models_point_kind_version_key" UNIQUE("point_id","kind","version"),
	CONSTRAINT "anomaly_models_kind" CHECK ("anomaly_models"."kind" in ('iforest', 'spc'))
);
--> statement-breakpoint
ALTER TABLE "alerts" DROP CONSTRAINT "alerts_kind_subject_key";--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "occurrences" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "last_seen_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "escalated_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "acknowledged_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "acknowledged_by" uuid;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "acknowledge_comment" text;--> statement-breakpoint
ALTER TABLE "anomalies" ADD CONSTRAINT "anomalies_point_id_measurement_points_id_fk" FOREIGN KEY ("point_id") REFERENCES "public"."measurement_points"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomalies" ADD CONSTRAINT "anomalies_model_id_anomaly_models_id_fk" FOREIGN KEY ("model_id") REFERENCES "public"."anomaly_models"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomaly_feedback" ADD CONSTRAINT "anomaly_feedback_anomaly_id_anomalies_id_fk" FOREIGN KEY ("anomaly_id") REFERENCES "public"."anomalies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomaly_models" ADD CONSTRAINT "anomaly_models_point_id_measurement_points_id_fk" FOREIGN KEY ("point_id") REFERENCES "public"."measurement_points"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "anomalies_slot_idx" ON "anomalies" USING btree ("slot_start");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open_kind_subject_key" ON "alerts" USING btree ("kind","subject") WHERE "alerts"."resolved_at" is null;