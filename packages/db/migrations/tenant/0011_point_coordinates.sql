ALTER TABLE "measurement_points" ADD COLUMN "latitude" double precision;--> statement-breakpoint
ALTER TABLE "measurement_points" ADD COLUMN "longitude" double precision;