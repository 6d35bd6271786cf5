CREATE TABLE "detect_cursors" (
	"point_id" uuid PRIMARY KEY NOT NULL,
	"scored_until" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "detect_cursors" ADD CONSTRAINT "detect_cursors_point_id_measurement_points_id_fk" FOREIGN KEY ("point_id") REFERENCES "public"."measurement_points"("id") ON DELETE cascade ON UPDATE no action;